package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

var le = binary.LittleEndian

// bound is the longest a test waits for something that should happen
// promptly. It is a failure bound, never a delay.
const bound = 10 * time.Second

// quiet is a sync interval long enough that the ticker never fires in a test.
const quiet = time.Hour

// waiter is a handoff.Waiter a test can wait on.
type waiter chan error

func newWaiter() waiter { return make(waiter, 1) }

func (w waiter) Done(err error) { w <- err }

// wait returns the error w was settled with.
func (w waiter) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-w:
		return err
	case <-time.After(bound):
		t.Fatal("waiter never settled")
		return nil
	}
}

// settled reports whether w has been settled, without waiting.
func (w waiter) settled() bool { return len(w) > 0 }

// payload is the data of the entry with LSN lsn in every test.
func payload(lsn uint64) []byte {
	return fmt.Appendf(nil, "entry %d %s", lsn, strings.Repeat("x", int(lsn%7)))
}

// entries returns the entries from LSN first to last inclusive.
func entries(first, last uint64) []handoff.Entry {
	var es []handoff.Entry
	for lsn := first; lsn <= last; lsn++ {
		es = append(es, handoff.Entry{LSN: lsn, Data: payload(lsn)})
	}
	return es
}

// opened is an open journal and what its Open replayed.
type opened struct {
	*Journal
	rep      Report
	replayed []handoff.Entry
}

// open opens dir and requires success; the journal is closed at cleanup if
// the test has not closed it.
func open(t testing.TB, fsys vfs.FS, dir string, opts Options) *opened {
	t.Helper()
	o, err := tryOpen(fsys, dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { o.Close() })
	return o
}

func tryOpen(fsys vfs.FS, dir string, opts Options) (*opened, error) {
	o := &opened{}
	j, rep, err := Open(fsys, dir, opts, func(e handoff.Entry) error {
		o.replayed = append(o.replayed, handoff.Entry{LSN: e.LSN, Data: bytes.Clone(e.Data)})
		return nil
	})
	o.Journal, o.rep = j, rep
	return o, err
}

// put appends the entries first..last as one batch and waits for its ack,
// after the write or, if sync, after the fsync. It returns the ack.
func put(t testing.TB, j *Journal, first, last uint64, sync bool) error {
	t.Helper()
	w := newWaiter()
	b := &handoff.Parcel{Entries: entries(first, last)}
	if sync {
		b.AfterSync = []handoff.Waiter{w}
	} else {
		b.AfterWrite = []handoff.Waiter{w}
	}
	require.NoError(t, j.Append(context.Background(), b))
	return w.wait(t)
}

// requireEntries requires got to be exactly the entries first..last.
func requireEntries(t testing.TB, first, last uint64, got []handoff.Entry) {
	t.Helper()
	want := entries(first, last)
	if len(want) == 0 {
		want = nil
	}
	if len(got) == 0 {
		got = nil
	}
	require.Equal(t, want, got)
}

// segPath is the path of the segment starting at first in dir.
func segPath(dir string, first uint64) string { return filepath.Join(dir, segmentName(first)) }

// segments lists the segment paths in dir, oldest first.
func segments(t testing.TB, dir string) []string {
	t.Helper()
	names, err := vfs.OS.List(dir)
	require.NoError(t, err)
	var paths []string
	for _, n := range names {
		if _, ok := parseSegmentName(n); ok {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	return paths
}

// frameOffsets returns the offset of every frame in a clean segment image,
// and its size as the last element.
func frameOffsets(t testing.TB, data []byte) []int64 {
	t.Helper()
	offs := []int64{}
	off := segmentHeaderSize
	for off < len(data) {
		offs = append(offs, int64(off))
		_, n, err := decodeFrame(data[off:])
		require.NoError(t, err)
		off += n
	}
	return append(offs, int64(len(data)))
}

// dirImage returns every file in dir with its contents, except the LOCK
// file: taking the lock creates it (and must: a lock file is never removed,
// or two holders could lock two different files of the same name).
func dirImage(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	img := map[string][]byte{}
	for _, e := range ents {
		if e.Name() == lockName {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		img[e.Name()] = b
	}
	return img
}

// readFile reads a file and requires success.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

func writeFileT(t testing.TB, name string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(name, data, 0o644))
}

// counter counts the operations a Faulty file system performs on segments,
// and fails the ones armed with an error.
type counter struct {
	mu    sync.Mutex
	ops   map[vfs.Op]int
	fail  map[vfs.Op]error
	armed atomic.Bool
}

// faulty returns a file system over vfs.OS that counts and fails through c.
func (c *counter) fs() *vfs.Faulty {
	return &vfs.Faulty{FS: vfs.OS, Inject: c.inject}
}

func (c *counter) inject(op vfs.Op, name string) error {
	c.mu.Lock()
	if c.ops == nil {
		c.ops = map[vfs.Op]int{}
	}
	c.ops[op]++
	err := c.fail[op]
	c.mu.Unlock()
	if c.armed.Load() {
		return err
	}
	return nil
}

// count returns how often op was performed.
func (c *counter) count(op vfs.Op) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// reset forgets the counts.
func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

// segmentImage builds a segment file image by hand: a header for first and
// one frame per group of entries, each recording synced as given.
func segmentImage(first uint64, synced uint64, groups ...[]handoff.Entry) []byte {
	b := appendSegmentHeader(nil, first)
	for _, g := range groups {
		var data [][]byte
		for _, e := range g {
			data = append(data, e.Data)
		}
		b = appendFrame(b, g[0].LSN, synced, data)
	}
	return b
}

// rawFrame builds a frame with valid checksums around any payload.
func rawFrame(typ byte, payload []byte) []byte {
	h := make([]byte, frameHeaderSize)
	putFrameHeader(h, uint32(len(payload)), typ, payload)
	return append(h, payload...)
}

func putFrameHeader(h []byte, length uint32, typ byte, payload []byte) {
	le.PutUint32(h[0:4], length)
	h[4] = typ
	le.PutUint32(h[8:12], checksum(payload))
	le.PutUint32(h[12:16], checksum(h[:12]))
}
