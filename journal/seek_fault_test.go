package journal

import (
	"bytes"
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// readEvery requires a fresh cursor, from every step-th LSN of 1..upto
// and from upto itself, to return exactly the next 2000 entries (or up to
// upto), in as many reads as it takes.
func readEvery(t *testing.T, j *Journal, upto, step uint64) {
	t.Helper()
	for from := uint64(1); from <= upto; from += step {
		readFrom(t, j.Cursor(), from, min(from+1999, upto))
	}
	readFrom(t, j.Cursor(), upto, upto)
}

// readFrom requires c to return exactly the entries from..upto.
func readFrom(t *testing.T, c *Cursor, from, upto uint64) {
	t.Helper()
	for lsn := from; lsn <= upto; {
		es, err := c.Read(lsn, upto)
		require.NoError(t, err, "read from %d up to %d", lsn, upto)
		require.NotEmpty(t, es)
		requireRun(t, lsn, es)
		lsn += uint64(len(es))
	}
}

// requireRun requires es to be the entries from first on, as many as
// there are (cheaper than requireEntries on long runs).
func requireRun(t *testing.T, first uint64, es []handoff.Entry) {
	t.Helper()
	for i, e := range es {
		if e.LSN != first+uint64(i) || !bytes.Equal(e.Data, payload(e.LSN)) {
			t.Fatalf("entry %d of a read from %d: LSN %d, %q", i, first, e.LSN, e.Data)
		}
	}
}

// TestCursorSeeksPastAFailedWrite: a write cut short after the segment has
// seek marks makes the journal read-only with half a frame at the end of
// the segment; cursors started anywhere, before and after Close, still
// return exactly what was written, and nothing of the cut frame. A reopen
// cuts the torn tail and writes on in the same segment: cursors of the
// reopened journal, with marks only for what it wrote, read it all.
func TestCursorSeeksPastAFailedWrite(t *testing.T) {
	var armed bool
	var mu sync.Mutex
	fsys := &vfs.Faulty{FS: vfs.NewMem(), Inject: func(op vfs.Op, _ string) error {
		mu.Lock()
		defer mu.Unlock()
		if armed && op == vfs.OpWrite {
			return vfs.ShortWrite
		}
		return nil
	}}
	o := open(t, fsys, "/d", Options{SyncInterval: quiet})
	last := fillPast(t, o.Journal, 1, 3*seekEvery)
	require.GreaterOrEqual(t, len(o.w.seek.cur.Load().marks), 3)

	mu.Lock()
	armed = true
	mu.Unlock()
	require.ErrorIs(t, put(t, o.Journal, last+1, last+1000, false), ErrReadOnly)
	require.Equal(t, last, o.WrittenLSN())
	readEvery(t, o.Journal, last, 45007)
	require.ErrorIs(t, o.Close(), ErrReadOnly)
	readEvery(t, o.Journal, last, 45007)

	mu.Lock()
	armed = false
	mu.Unlock()
	re := open(t, fsys, "/d", Options{SyncInterval: quiet})
	require.NotNil(t, re.rep.Torn, "half a frame was written")
	requireEntries(t, 1, last, re.replayed)
	end := fillPast(t, re.Journal, last+1, 2*seekEvery)
	readEvery(t, re.Journal, end, 45007)
	c := re.Cursor()
	es, err := c.Read(end-2, end)
	require.NoError(t, err)
	requireEntries(t, end-2, end, es)
	require.Greater(t, c.ents[0].LSN, last+1, "the cursor read from before the reopen's first write")
}

// TestCursorSeeksWhileTheWriterRotates: cursors read at random LSNs near
// the end of the log while a writer appends and rotates segments, so that
// the marks they find change under them: every read returns exactly the
// entries asked for (run it with -race: the marks are read while written).
// The appender waits for each batch to be written before it sends the
// next: the writer writes whatever parcels have queued in one write and
// rotates only between writes, so batches queued faster than it writes
// them (a busy machine) could fill one segment far past its size.
func TestCursorSeeksWhileTheWriterRotates(t *testing.T) {
	j := open(t, vfs.NewMem(), "/d", Options{SyncInterval: quiet, SegmentSize: 2 * seekEvery})
	const batches = 300 // about 7 MiB: three rotations
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range uint64(batches) {
			first := 1 + b*1000
			if err := j.Append(context.Background(), &handoff.Parcel{Entries: entries(first, first+999)}); err != nil {
				t.Error(err)
				return
			}
			for {
				moved := j.Progress()
				if j.WrittenLSN() >= first+999 {
					break
				}
				if j.Err() != nil {
					t.Error(j.Err())
					return
				}
				<-moved
			}
		}
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	follow := j.Cursor() // one cursor for all reads: it jumps back and forth
	reads := 0
	for finished := false; !finished; reads++ {
		select {
		case <-done:
			finished = true
		default:
		}
		upto := j.WrittenLSN()
		if upto == 0 {
			<-j.Progress()
			continue
		}
		from := upto - min(upto-1, rng.Uint64N(60000))
		c := follow
		if reads%2 == 0 {
			c = j.Cursor()
		}
		es, err := c.Read(from, upto)
		require.NoError(t, err, "read from %d up to %d", from, upto)
		require.NotEmpty(t, es)
		requireRun(t, from, es)
	}
	segs, err := listSegments(j.w.fs, "/d")
	require.NoError(t, err)
	require.Greater(t, len(segs), 2, "the writer never rotated")
	t.Logf("%d reads over %d segments", reads, len(segs))
}

// TestCursorKeepsItsPlaceAfterAFailedSeek: a read that fails (an I/O
// error) when a cursor that follows one segment jumps to a seek mark in
// the next is the caller's error, and leaves the cursor usable: later
// reads, at the mark again or back in the first segment, return exactly
// the entries asked for.
func TestCursorKeepsItsPlaceAfterAFailedSeek(t *testing.T) {
	var mu sync.Mutex
	var failing string // the file whose reads fail
	fail := func(name string) {
		mu.Lock()
		defer mu.Unlock()
		failing = name
	}
	fsys := &vfs.Faulty{FS: vfs.NewMem(), Inject: func(op vfs.Op, name string) error {
		mu.Lock()
		defer mu.Unlock()
		if op == vfs.OpReadFile && name == failing {
			return vfs.ErrInjected
		}
		return nil
	}}
	const size = 256 << 10
	j := open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: size})
	var last uint64
	for j.w.written.Load() < size/2 {
		last++
		require.NoError(t, put(t, j.Journal, last, last, false))
	}
	c := j.Cursor()
	readFrom(t, c, last, last) // c follows the first segment
	end := fillPast(t, j.Journal, last+1, size)
	segs, err := listSegments(fsys, "/d")
	require.NoError(t, err)
	require.Len(t, segs, 2)
	require.Greater(t, end-10, segs[1].lsn)

	fail(segs[1].path) // the first segment reads on, the second fails
	_, err = c.Read(end-10, end)
	require.ErrorIs(t, err, vfs.ErrInjected)
	fail("")
	readFrom(t, c, end-5, end)
	readFrom(t, c, last+1, last+10)
}
