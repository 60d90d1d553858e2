package journal

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestFailuresMakeReadOnly fails one kind of operation while the journal
// runs and checks that the waiters learn it, that the journal refuses all
// later work, and that a reopen finds exactly what was acknowledged.
func TestFailuresMakeReadOnly(t *testing.T) {
	short := fmt.Errorf("%w: %w", vfs.ErrInjected, io.ErrShortWrite)
	tests := []struct {
		name     string
		op       vfs.Op
		err      error
		segSize  int64 // small: the failure comes at a rotation
		syncEach bool  // each batch also waits for an fsync
	}{
		{"write", vfs.OpWrite, vfs.ErrInjected, 0, false},
		{"write, sync waiters", vfs.OpWrite, vfs.ErrInjected, 0, true},
		{"short write", vfs.OpWrite, short, 0, true},
		{"fsync", vfs.OpSync, vfs.ErrInjected, 0, true},
		{"create at rotation", vfs.OpCreate, vfs.ErrInjected, 300, true},
		{"fsync at rotation", vfs.OpSync, vfs.ErrInjected, 300, false},
		{"close at rotation", vfs.OpClose, vfs.ErrInjected, 300, false},
		{"directory fsync at rotation", vfs.OpSyncDir, vfs.ErrInjected, 300, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := counter{fail: map[vfs.Op]error{tt.op: tt.err}}
			j := open(t, c.fs(), dir, Options{SegmentSize: tt.segSize, SyncInterval: quiet})
			require.NoError(t, put(t, j.Journal, 1, 10, true))
			c.armed.Store(true)

			var written uint64 = 10 // highest LSN acknowledged as written
			lsn := uint64(11)
			var failure error
			for ; lsn < 500 && failure == nil; lsn++ {
				ww, ws := newWaiter(), newWaiter()
				b := &handoff.Parcel{Entries: entries(lsn, lsn), AfterWrite: []handoff.Waiter{ww}}
				if tt.syncEach {
					b.AfterSync = []handoff.Waiter{ws}
				}
				require.NoError(t, j.Append(context.Background(), b))
				if err := ww.wait(t); err != nil {
					failure = err
					if tt.syncEach {
						require.Equal(t, err, ws.wait(t), "every waiter of the batch gets the failure")
					}
					continue
				}
				written = lsn
				if tt.syncEach {
					failure = ws.wait(t)
				}
			}
			require.Error(t, failure, "the fault never struck")
			require.ErrorIs(t, failure, ErrReadOnly)
			require.ErrorIs(t, failure, tt.err)
			require.Equal(t, failure, j.Err())
			if tt.segSize > 0 {
				// The fault struck at the first rotation (which may have
				// created the next segment before failing).
				require.LessOrEqual(t, len(segments(t, dir)), 2)
			}

			// Everything later is refused, whatever its waiters.
			c.armed.Store(false)
			require.ErrorIs(t, put(t, j.Journal, lsn, lsn, false), ErrReadOnly)
			require.ErrorIs(t, put(t, j.Journal, lsn+1, lsn+1, true), ErrReadOnly)
			w := newWaiter()
			require.NoError(t, j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}}))
			require.Equal(t, failure, w.wait(t))
			require.Equal(t, failure, j.Close())
			require.Equal(t, failure, j.Err())

			re := open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, written, re.replayed)
			if tt.err == short {
				require.NotNil(t, re.rep.Torn, "half a frame was written")
			}
			require.NoError(t, put(t, re.Journal, written+1, written+1, true))
		})
	}
}

func TestTickFailure(t *testing.T) {
	c := counter{fail: map[vfs.Op]error{vfs.OpSync: vfs.ErrInjected}}
	dir := t.TempDir()
	j := open(t, c.fs(), dir, Options{SyncInterval: time.Millisecond})
	c.armed.Store(true)
	require.NoError(t, put(t, j.Journal, 1, 3, false))
	require.Eventually(t, func() bool { return j.Err() != nil }, bound, time.Millisecond)
	require.ErrorIs(t, j.Err(), ErrReadOnly)
	require.ErrorIs(t, j.Err(), vfs.ErrInjected)
	require.ErrorIs(t, put(t, j.Journal, 4, 4, false), ErrReadOnly)
	require.ErrorIs(t, j.Close(), ErrReadOnly)
	c.armed.Store(false)
	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 3, j.replayed)
}

func TestCloseFailure(t *testing.T) {
	c := counter{fail: map[vfs.Op]error{vfs.OpClose: vfs.ErrInjected}}
	j := open(t, c.fs(), t.TempDir(), Options{})
	require.NoError(t, put(t, j.Journal, 1, 1, false))
	c.armed.Store(true)
	err := j.Close()
	require.ErrorIs(t, err, vfs.ErrInjected)
	require.NotErrorIs(t, err, ErrReadOnly)
	require.Equal(t, err, j.Close())
}

// TestOpenFaults fails each file system operation in turn while Open
// recovers a directory with a torn tail or a torn header: Open reports the
// fault, and a later Open recovers everything.
func TestOpenFaults(t *testing.T) {
	ops := []vfs.Op{vfs.OpCreate, vfs.OpOpenAppend, vfs.OpWrite, vfs.OpSync, vfs.OpTruncate,
		vfs.OpClose, vfs.OpReadFile, vfs.OpRemove, vfs.OpRename, vfs.OpList, vfs.OpMkdirAll,
		vfs.OpSyncDir, vfs.OpLock, vfs.OpStat}
	const n = 15
	src := writeLog(t, n, false, Options{SegmentSize: 200})
	segs := segments(t, src)
	require.Greater(t, len(segs), 1)
	last := filepath.Base(segs[len(segs)-1])
	base := map[string][]byte{}
	for _, s := range segs {
		base[filepath.Base(s)] = readFile(t, s)
	}
	scenarios := map[string]map[string][]byte{
		"clean": base,
		"torn tail": func() map[string][]byte {
			m := maps.Clone(base)
			m[last] = append(m[last], 1, 2, 3)
			return m
		}(),
		"torn header": func() map[string][]byte {
			m := maps.Clone(base)
			m[segmentName(n+1)] = []byte("HURRAH")
			return m
		}(),
		"empty directory": {},
	}
	for name, files := range scenarios {
		for _, op := range ops {
			t.Run(fmt.Sprintf("%s, %v fails", name, op), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "j")
				require.NoError(t, os.Mkdir(dir, 0o755))
				for n, b := range files {
					writeFileT(t, filepath.Join(dir, n), b)
				}
				c := counter{fail: map[vfs.Op]error{op: vfs.ErrInjected}}
				c.armed.Store(true)
				o, err := tryOpen(c.fs(), dir, Options{})
				c.armed.Store(false)
				if c.count(op) == 0 {
					require.NoError(t, err)
					require.NoError(t, o.Close())
				} else {
					require.ErrorIs(t, err, vfs.ErrInjected)
					require.Nil(t, o.Journal)
				}
				o = open(t, vfs.OS, dir, Options{})
				if name == "empty directory" {
					require.Empty(t, o.replayed)
				} else {
					requireEntries(t, 1, n, o.replayed)
				}
				require.NoError(t, put(t, o.Journal, o.NextLSN(), o.NextLSN(), true))
			})
		}
	}
}
