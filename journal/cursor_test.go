package journal

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

func TestProgressLSNs(t *testing.T) {
	fsys := vfs.NewMem()
	j := open(t, fsys, "/d", Options{SyncInterval: quiet})
	require.Zero(t, j.WrittenLSN())
	require.Zero(t, j.SyncedLSN())

	moved := j.Progress()
	require.NoError(t, put(t, j.Journal, 1, 3, false))
	<-moved // closed by the write, or the test hangs
	require.EqualValues(t, 3, j.WrittenLSN())
	require.Zero(t, j.SyncedLSN(), "nothing asked for an fsync")

	require.NoError(t, put(t, j.Journal, 4, 5, true))
	require.EqualValues(t, 5, j.WrittenLSN())
	require.EqualValues(t, 5, j.SyncedLSN())

	require.NoError(t, put(t, j.Journal, 6, 6, false))
	require.NoError(t, j.Close())
	require.EqualValues(t, 6, j.SyncedLSN(), "Close syncs everything")

	j = open(t, fsys, "/d", Options{SyncInterval: quiet})
	require.EqualValues(t, 6, j.WrittenLSN())
	require.EqualValues(t, 6, j.SyncedLSN())
}

// TestProgressStopsAtAFailedSync: an entry whose fsync failed is written
// but never counted as synced.
func TestProgressStopsAtAFailedSync(t *testing.T) {
	var armed atomic.Bool
	fsys := &vfs.Faulty{FS: vfs.NewMem(), Inject: func(op vfs.Op, name string) error {
		if armed.Load() && op == vfs.OpSync {
			return errors.New("injected")
		}
		return nil
	}}
	j := open(t, fsys, "/d", Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 1, false))
	armed.Store(true)
	require.ErrorIs(t, put(t, j.Journal, 2, 2, true), ErrReadOnly)
	require.Error(t, j.Err())
	require.EqualValues(t, 2, j.WrittenLSN())
	require.Zero(t, j.SyncedLSN())
}

func TestCursorAcrossRotationAndCompaction(t *testing.T) {
	fsys := vfs.NewMem()
	j := open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: 200})
	for lsn := uint64(1); lsn <= 60; lsn += 3 {
		require.NoError(t, put(t, j.Journal, lsn, lsn+2, false))
	}
	segs, err := listSegments(fsys, "/d")
	require.NoError(t, err)
	require.Greater(t, len(segs), 3, "the test needs several segments")

	c := j.Cursor()
	var got []handoff.Entry
	for lsn := uint64(1); lsn <= j.WrittenLSN(); {
		es, err := c.Read(lsn, j.WrittenLSN())
		require.NoError(t, err)
		require.NotEmpty(t, es)
		got = append(got, es...)
		lsn += uint64(len(es))
	}
	requireEntries(t, 1, 60, got)

	// A read bounded by upto stops there.
	es, err := c.Read(2, 3)
	require.NoError(t, err)
	requireEntries(t, 2, 3, es)

	_, _, err = CompactSegments(fsys, "/d", segs[2].lsn-1)
	require.NoError(t, err)
	_, err = j.Cursor().Read(1, 60)
	var ce *CompactedError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, ErrCompacted)
	require.Equal(t, CompactedError{LSN: 1, Oldest: segs[2].lsn}, *ce)
	es, err = j.Cursor().Read(segs[2].lsn, 60)
	require.NoError(t, err)
	require.Equal(t, segs[2].lsn, es[0].LSN)
}

// TestCursorTailsAWriter reads the newest segment while it is appended to
// and rotated, never past WrittenLSN: every entry arrives once, in order.
func TestCursorTailsAWriter(t *testing.T) {
	fsys := vfs.NewMem()
	j := open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: 4 << 10})
	const n = 3000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for lsn := uint64(1); lsn <= n; lsn++ {
			// No waiter: the journal writes at once, acknowledging nothing.
			if err := j.Append(context.Background(), &handoff.Parcel{Entries: entries(lsn, lsn)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	c := j.Cursor()
	var got []handoff.Entry
	for lsn := uint64(1); lsn <= n; {
		moved := j.Progress()
		upto := j.WrittenLSN()
		if upto < lsn {
			<-moved
			continue
		}
		es, err := c.Read(lsn, upto)
		require.NoError(t, err)
		for _, e := range es {
			got = append(got, handoff.Entry{LSN: e.LSN, Data: append([]byte(nil), e.Data...)})
		}
		lsn += uint64(len(es))
	}
	wg.Wait()
	requireEntries(t, 1, n, got)
}

func TestCursorRefusesBadBounds(t *testing.T) {
	j := open(t, vfs.NewMem(), "/d", Options{SyncInterval: quiet})
	_, err := j.Cursor().Read(0, 1)
	require.Error(t, err)
	_, err = j.Cursor().Read(3, 2)
	require.Error(t, err)
}

// TestCursorBadSegments: damage in a segment the cursor reads, or a failed
// read, is an error for the caller, never a panic or a silent skip.
func TestCursorBadSegments(t *testing.T) {
	mem := vfs.NewMem()
	var failRead atomic.Bool
	fsys := &vfs.Faulty{FS: mem, Inject: func(op vfs.Op, name string) error {
		if failRead.Load() && (op == vfs.OpReadFile || op == vfs.OpList) {
			return vfs.EIO
		}
		return nil
	}}
	j := open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: 200})
	for lsn := uint64(1); lsn <= 30; lsn += 3 {
		require.NoError(t, put(t, j.Journal, lsn, lsn+2, false))
	}
	failRead.Store(true)
	_, err := j.Cursor().Read(1, 30)
	require.ErrorIs(t, err, vfs.EIO)
	failRead.Store(false)

	// Flip a byte inside the first frame of the oldest segment.
	path := segPath("/d", 1)
	data, err := mem.ReadFile(path)
	require.NoError(t, err)
	data[segmentHeaderSize+frameHeaderSize+2] ^= 0xff
	require.NoError(t, mem.Remove(path))
	require.NoError(t, writeFile(mem, path, data))
	_, err = j.Cursor().Read(1, 30)
	require.ErrorIs(t, err, ErrCorrupt)
	es, err := j.Cursor().Read(30, 30)
	require.NoError(t, err, "the other segments read")
	requireEntries(t, 30, 30, es)
}
