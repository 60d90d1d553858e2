package journal

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// fillPast writes batches of 1000 entries from first on until the
// current segment has grown past size bytes, and returns the last LSN.
func fillPast(t *testing.T, j *Journal, first uint64, size int64) uint64 {
	t.Helper()
	for start := j.w.written.Load(); ; first += 1000 {
		require.NoError(t, put(t, j, first, first+999, false))
		if j.w.written.Load()-start > size {
			return first + 999
		}
	}
}

// TestCursorSeeksInTheNewestSegment: a fresh cursor asked for an entry
// near the end of the segment being written starts at a seek mark, not at
// the segment's header (what it reads before the entry is under
// seekEvery), and still returns exactly the entries asked for; one asked
// for the first entry reads from the header.
func TestCursorSeeksInTheNewestSegment(t *testing.T) {
	fsys := vfs.NewMem()
	j := open(t, fsys, "/d", Options{SyncInterval: quiet})
	last := fillPast(t, j.Journal, 1, 3*seekEvery)

	c := j.Cursor()
	want := last - 10
	es, err := c.Read(want, last)
	require.NoError(t, err)
	requireEntries(t, want, last, es)
	require.Greater(t, c.ents[0].LSN, uint64(1), "the cursor read from the segment's header")
	var read int64
	for _, e := range c.ents {
		if e.LSN < want {
			read += int64(len(e.Data))
		}
	}
	require.Less(t, read, int64(seekEvery), "the cursor read more than seekEvery before the entry")

	c = j.Cursor()
	es, err = c.Read(1, 5)
	require.NoError(t, err)
	requireEntries(t, 1, 5, es)
}

// TestCursorSeeksAfterRotationAndReopen: the marks follow the segment
// being written across a rotation and a reopen; the older segment, and
// what was written before the reopen, read from the header as before.
func TestCursorSeeksAfterRotationAndReopen(t *testing.T) {
	fsys := vfs.NewMem()
	o := open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: 2 * seekEvery})
	last := fillPast(t, o.Journal, 1, 3*seekEvery) // rotates once at least
	segs, err := listSegments(fsys, "/d")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(segs), 2)
	require.NoError(t, o.Close())

	o = open(t, fsys, "/d", Options{SyncInterval: quiet, SegmentSize: 2 * seekEvery})
	end := fillPast(t, o.Journal, last+1, seekEvery+seekEvery/2)
	c := o.Cursor()
	for lsn := uint64(1); lsn <= end; {
		es, err := c.Read(lsn, end)
		require.NoError(t, err)
		requireEntries(t, lsn, lsn+uint64(len(es))-1, es)
		lsn += uint64(len(es))
	}
	c = o.Cursor()
	es, err := c.Read(end-3, end)
	require.NoError(t, err)
	requireEntries(t, end-3, end, es)
	require.Greater(t, c.ents[0].LSN, last+1, "the cursor read the newest segment from its header")
}

// TestCursorFollowingSeeksAhead: a cursor that follows the newest segment
// and is then asked for an entry far past where its last read ended (a
// watcher that caught up, went back to the ring, and fell out of it again
// later) starts at the last seek mark before that entry, not where its
// last read ended: it reads less than seekEvery before the entry.
func TestCursorFollowingSeeksAhead(t *testing.T) {
	j := open(t, vfs.NewMem(), "/d", Options{SyncInterval: quiet})
	last := fillPast(t, j.Journal, 1, seekEvery/2)
	c := j.Cursor()
	es, err := c.Read(last, last)
	require.NoError(t, err)
	requireEntries(t, last, last, es)

	end := fillPast(t, j.Journal, last+1, 3*seekEvery)
	es, err = c.Read(end-10, end)
	require.NoError(t, err)
	requireEntries(t, end-10, end, es)
	var read int64
	for _, e := range c.ents {
		if e.LSN < end-10 {
			read += int64(len(e.Data))
		}
	}
	require.Less(t, read, int64(seekEvery), "the cursor read on from where it was, not from a mark")

	// Reading on from the cursor's place, with no mark past it, still
	// gives every entry once.
	es, err = c.Read(end-3, end)
	require.NoError(t, err)
	requireEntries(t, end-3, end, es)
	more := fillPast(t, j.Journal, end+1, 1000)
	es, err = c.Read(end+1, more)
	require.NoError(t, err)
	requireEntries(t, end+1, more, es)
}

// TestCursorSeeksInSmallSegments: segments far smaller than seekEvery, as
// the crash harness uses, have marks closer together (seekSpacing), so a
// cursor asked for an entry near the end of one starts past its start,
// reading less than two spacings before the entry, and bounded: at most
// seekMarksPer marks and one per write past that.
func TestCursorSeeksInSmallSegments(t *testing.T) {
	const size = 64 << 10
	every := seekSpacing(size)
	require.Less(t, every, int64(seekEvery))
	j := open(t, vfs.NewMem(), "/d", Options{SyncInterval: quiet, SegmentSize: size})
	var last uint64
	for j.w.written.Load() < size/2 {
		last++
		require.NoError(t, put(t, j.Journal, last, last, false))
	}
	marks := len(j.w.seek.cur.Load().marks)
	require.Greater(t, marks, 2)
	require.LessOrEqual(t, marks, seekMarksPer)

	c := j.Cursor()
	es, err := c.Read(last-1, last)
	require.NoError(t, err)
	requireEntries(t, last-1, last, es)
	require.Greater(t, c.ents[0].LSN, uint64(1), "the cursor read from the segment's header")
	var read int64
	for _, e := range c.ents {
		if e.LSN < last-1 {
			read += int64(len(e.Data))
		}
	}
	require.Less(t, read, 2*every)
	readEvery(t, j.Journal, last, 37)
}
