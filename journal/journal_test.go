package journal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

func TestRoundTripAndReopen(t *testing.T) {
	tests := []struct {
		name  string
		sync  bool
		batch uint64 // entries per batch
	}{
		{"written, one per batch", false, 1},
		{"written, five per batch", false, 5},
		{"synced, three per batch", true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
			require.Equal(t, uint64(1), j.NextLSN())
			require.Equal(t, Report{Segments: 0}, j.rep)
			require.Equal(t, []string{segPath(dir, 1)}, segments(t, dir))
			const n = 60
			for lsn := uint64(1); lsn <= n; lsn += tt.batch {
				require.NoError(t, put(t, j.Journal, lsn, lsn+tt.batch-1, tt.sync))
			}
			require.Equal(t, uint64(n+1), j.NextLSN())
			require.NoError(t, j.Err())
			require.NoError(t, j.Close())

			j = open(t, vfs.OS, dir, Options{SyncInterval: quiet})
			requireEntries(t, 1, n, j.replayed)
			require.Equal(t, Report{Segments: 1, Entries: n, LastLSN: n}, j.rep)
			require.Equal(t, uint64(n+1), j.NextLSN())
			// It goes on where it stopped.
			require.NoError(t, put(t, j.Journal, n+1, n+2, true))
			require.NoError(t, j.Close())

			j = open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, n+2, j.replayed)
			require.NoError(t, j.Close())
		})
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	const size = 256
	j := open(t, vfs.OS, dir, Options{SegmentSize: size, SyncInterval: quiet})
	var lsn uint64 = 1
	for i := range 120 {
		k := uint64(i%3 + 1)
		require.NoError(t, put(t, j.Journal, lsn, lsn+k-1, i%5 == 0))
		lsn += k
	}
	require.NoError(t, j.Close())

	segs := segments(t, dir)
	require.Greater(t, len(segs), 10)
	next := uint64(1)
	for i, seg := range segs {
		data := readFile(t, seg)
		scan, err := scanSegment(seg, data, i == len(segs)-1, next)
		require.NoError(t, err)
		require.Equal(t, -1, int(scan.TornAt))
		require.Equal(t, segPath(dir, next), seg)
		if i < len(segs)-1 {
			// A segment is closed at the first write that finds it full,
			// so it passes the size by less than one write.
			require.GreaterOrEqual(t, len(data), size, seg)
			require.NotEmpty(t, scan.Entries)
		}
		next += uint64(len(scan.Entries))
	}
	require.Equal(t, lsn, next)

	j = open(t, vfs.OS, dir, Options{SegmentSize: size, SyncInterval: quiet})
	requireEntries(t, 1, lsn-1, j.replayed)
	require.Equal(t, len(segs), j.rep.Segments)
	require.NoError(t, put(t, j.Journal, lsn, lsn+40, false))
	require.NoError(t, j.Close())
	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, lsn+40, j.replayed)
}

func TestAcks(t *testing.T) {
	var c counter
	dir := t.TempDir()
	j := open(t, c.fs(), dir, Options{SyncInterval: quiet})
	seg := segPath(dir, 1)
	c.reset()

	// AfterWrite: the entries are in the file, and nothing was fsynced.
	require.NoError(t, put(t, j.Journal, 1, 2, false))
	scan, err := scanSegment(seg, readFile(t, seg), true, 1)
	require.NoError(t, err)
	requireEntries(t, 1, 2, scan.Entries)
	require.Equal(t, 1, c.count(vfs.OpWrite))
	require.Zero(t, c.count(vfs.OpSync))

	// AfterSync: one fsync before the ack, whose frame records what was
	// synced before it.
	require.NoError(t, put(t, j.Journal, 3, 3, true))
	require.Equal(t, 1, c.count(vfs.OpSync))

	// A sync-only batch with nothing dirty costs no fsync.
	w := newWaiter()
	require.NoError(t, j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}}))
	require.NoError(t, w.wait(t))
	require.Equal(t, 1, c.count(vfs.OpSync))

	// Written but not synced, then a sync-only batch: one fsync.
	require.NoError(t, put(t, j.Journal, 4, 4, false))
	w = newWaiter()
	require.NoError(t, j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}}))
	require.NoError(t, w.wait(t))
	require.Equal(t, 2, c.count(vfs.OpSync))

	// A batch with both kinds of waiters.
	ww, ws := newWaiter(), newWaiter()
	require.NoError(t, j.Append(context.Background(), &handoff.Parcel{
		Entries:    entries(5, 6),
		AfterWrite: []handoff.Waiter{ww},
		AfterSync:  []handoff.Waiter{ws},
	}))
	require.NoError(t, ww.wait(t))
	require.NoError(t, ws.wait(t))
	require.Equal(t, 3, c.count(vfs.OpSync))
	require.Equal(t, 4, c.count(vfs.OpWrite))

	// Close has nothing left to fsync but records the last fsync in a
	// frame with no entries, which it fsyncs.
	require.NoError(t, j.Close())
	require.Equal(t, 4, c.count(vfs.OpSync))
	require.Equal(t, 5, c.count(vfs.OpWrite))

	data := readFile(t, seg)
	offs := frameOffsets(t, data)
	var synced []uint64
	for _, off := range offs[:len(offs)-1] {
		f, _, err := decodeFrame(data[off:])
		require.NoError(t, err)
		synced = append(synced, f.Synced)
	}
	// Each frame records the fsyncs completed before it was written; the
	// last, Close's, that all before it is synced.
	require.Equal(t, []uint64{segmentHeaderSize, segmentHeaderSize, uint64(offs[2]), uint64(offs[3]), uint64(offs[4])}, synced)
	f, _, err := decodeFrame(data[offs[4]:])
	require.NoError(t, err)
	require.Equal(t, decodedFrame{Type: frameEntries, FirstLSN: 7, Synced: uint64(offs[4])}, f)
}

// TestGroupCommit has one goroutine append batches that each wait for an
// fsync while many others ask for syncs, all while the journal's first fsync
// is held. Every waiter that fsync does not cover shares the one next fsync,
// so there are two at most: just one if the actor happened to take every
// batch in its first drain (MaxDrain allows it) and so wrote them all before
// that fsync started; two otherwise.
func TestGroupCommit(t *testing.T) {
	g := newSyncGate()
	j := g.open(t, t.TempDir(), Options{SyncInterval: quiet})
	g.hold.Store(true)

	const writes, syncers = 200, 40
	var (
		wg     sync.WaitGroup
		synced []waiter // the writer's waiters, in LSN order
	)
	wg.Go(func() {
		for lsn := uint64(1); lsn <= writes; lsn++ {
			w := newWaiter()
			if err := j.Append(context.Background(), &handoff.Parcel{Entries: entries(lsn, lsn), AfterSync: []handoff.Waiter{w}}); err != nil {
				t.Error(err)
				return
			}
			synced = append(synced, w)
		}
	})
	asking := askSyncs(t, j.Journal, syncers) // at the same time
	wg.Wait()
	asked := asking() // every Append has returned: all is queued
	require.Len(t, synced, writes)
	handled(t, j.Journal) // and handled: written, held or waiting
	g.waitEntered(t)      // the first batch with entries started an fsync
	for _, w := range synced {
		require.False(t, w.settled(), "acknowledged before an fsync completed")
	}
	g.requireNoneEntered(t)
	require.Equal(t, int64(1), g.syncs.Load(), "one fsync in flight at a time")

	g.hold.Store(false)
	g.release <- nil
	for _, w := range append(synced, asked...) {
		require.NoError(t, w.wait(t))
	}
	syncs := g.syncs.Load()
	t.Logf("%d sync waiters shared %d fsyncs in %d writes", writes+syncers, syncs, g.writes.Load())
	require.LessOrEqual(t, syncs, int64(2))
	require.NoError(t, j.Close())
}

// TestTickerSyncs runs in a synctest bubble, where the journal's goroutines,
// its ticker and the clock are the test's: time moves only when every one of
// them is blocked, so each tick is observed, not hoped for.
func TestTickerSyncs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 5 * time.Millisecond
		var c counter
		j := open(t, c.fs(), t.TempDir(), Options{SyncInterval: interval})
		c.reset()
		require.NoError(t, put(t, j.Journal, 1, 1, false))
		synctest.Wait()
		require.Zero(t, c.count(vfs.OpSync), "an fsync before the first tick")

		time.Sleep(interval) // the first tick: the segment is dirty
		synctest.Wait()      // its fsync has run and been collected
		require.Equal(t, 1, c.count(vfs.OpSync))

		time.Sleep(10 * interval) // ten ticks with nothing dirty
		synctest.Wait()
		require.Equal(t, 1, c.count(vfs.OpSync))

		require.NoError(t, put(t, j.Journal, 2, 2, false))
		time.Sleep(interval)
		synctest.Wait()
		require.Equal(t, 2, c.count(vfs.OpSync), "the next tick after a write")
		require.NoError(t, j.Close())
	})
}

func TestOneWritePerDrain(t *testing.T) {
	// More than splitPayload in one batch: several frames, one write.
	var c counter
	dir := t.TempDir()
	j := open(t, c.fs(), dir, Options{SyncInterval: quiet})
	c.reset()
	big := make([]byte, 1<<20)
	var es []handoff.Entry
	for lsn := uint64(1); lsn <= 9; lsn++ {
		big[0] = byte(lsn)
		es = append(es, handoff.Entry{LSN: lsn, Data: append([]byte(nil), big...)})
	}
	w := newWaiter()
	require.NoError(t, j.Append(context.Background(), &handoff.Parcel{Entries: es, AfterWrite: []handoff.Waiter{w}}))
	require.NoError(t, w.wait(t))
	require.Equal(t, 1, c.count(vfs.OpWrite))
	require.NoError(t, j.Close())

	data := readFile(t, segPath(dir, 1))
	offs := frameOffsets(t, data)
	require.Len(t, offs, 5, "three frames and the one Close adds")
	for i := range len(offs) - 1 {
		require.LessOrEqual(t, offs[i+1]-offs[i]-frameHeaderSize, int64(splitPayload))
	}
	j = open(t, vfs.OS, dir, Options{})
	require.Equal(t, es, j.replayed)
}

func TestEncodeSplitsAtBatchBoundaries(t *testing.T) {
	mib := func(lsn uint64, n int) handoff.Entry { return handoff.Entry{LSN: lsn, Data: make([]byte, n)} }
	tests := []struct {
		name   string
		sizes  [][]int // entry sizes per batch
		frames []int   // entries per frame
	}{
		{"small batches share a frame", [][]int{{10, 10}, {10}, {10, 10, 10}}, []int{6}},
		{"a batch that does not fit starts a frame", [][]int{{1 << 20, 1 << 20, 1 << 20}, {3 << 19, 3 << 19}}, []int{3, 2}},
		{"a batch too big for one frame is split between entries, the next joins its tail", [][]int{{10}, {3 << 20, 3 << 20, 10, 10}, {10}}, []int{1, 1, 4}},
		{"an entry over splitPayload gets a frame", [][]int{{5 << 20}, {10}}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writer{next: 7, synced: 40}
			var bs []*handoff.Parcel
			lsn := uint64(7)
			for _, sizes := range tt.sizes {
				b := &handoff.Parcel{}
				for _, n := range sizes {
					b.Entries = append(b.Entries, mib(lsn, n))
					lsn++
				}
				bs = append(bs, b)
			}
			w.encode(bs)
			var got []int
			next := uint64(7)
			for off := 0; off < len(w.buf); {
				f, n, err := decodeFrame(w.buf[off:])
				require.NoError(t, err)
				require.Equal(t, next, f.FirstLSN)
				require.Equal(t, uint64(40), f.Synced)
				got = append(got, len(f.Entries))
				next += uint64(len(f.Entries))
				off += n
			}
			require.Equal(t, tt.frames, got)
			require.Equal(t, lsn, next)
			for _, e := range w.ents[:cap(w.ents)] {
				require.Nil(t, e, "encode keeps no entry alive")
			}
		})
	}
}

func TestFrom(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SegmentSize: 200})
	require.NoError(t, put(t, j.Journal, 1, 20, false))
	for lsn := uint64(21); lsn <= 30; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, false))
	}
	require.NoError(t, j.Close())
	require.Greater(t, len(segments(t, dir)), 2)

	tests := []struct {
		from    uint64
		replay  uint64 // first LSN replayed; 0: none
		corrupt bool
	}{
		{0, 1, false},
		{5, 6, false},
		{20, 21, false},
		{25, 26, false},
		{29, 30, false},
		{30, 0, false},
		{31, 0, true},
		{1000, 0, true},
	}
	for _, tt := range tests {
		before := dirImage(t, dir)
		o, err := tryOpen(vfs.OS, dir, Options{From: tt.from})
		if tt.corrupt {
			require.ErrorIs(t, err, ErrCorrupt, "from %d", tt.from)
			require.Equal(t, before, dirImage(t, dir))
			continue
		}
		require.NoError(t, err, "from %d", tt.from)
		if tt.replay == 0 {
			require.Empty(t, o.replayed)
		} else {
			requireEntries(t, tt.replay, 30, o.replayed)
		}
		require.Equal(t, uint64(31), o.NextLSN())
		require.Equal(t, uint64(30), o.rep.LastLSN)
		require.Equal(t, uint64(len(o.replayed)), o.rep.Entries)
		require.NoError(t, o.Close())
	}
}

func TestFromEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{From: 41})
	require.Equal(t, uint64(42), j.NextLSN())
	require.Equal(t, Report{LastLSN: 41}, j.rep)
	require.Equal(t, []string{segPath(dir, 42)}, segments(t, dir))
	require.NoError(t, put(t, j.Journal, 42, 43, true))
	require.NoError(t, j.Close())

	// The log now starts at 42: From must be at least 41.
	_, err := tryOpen(vfs.OS, dir, Options{From: 40})
	require.ErrorIs(t, err, ErrCorrupt)
	j = open(t, vfs.OS, dir, Options{From: 41})
	requireEntries(t, 42, 43, j.replayed)
}

func TestReplayErrorAbortsOpen(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{})
	require.NoError(t, put(t, j.Journal, 1, 5, false))
	require.NoError(t, j.Close())
	before := dirImage(t, dir)

	boom := errors.New("boom")
	_, _, err := Open(vfs.OS, dir, Options{}, func(e handoff.Entry) error {
		if e.LSN == 3 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	// A record that passed its checksums but that replay refuses is
	// corruption, located like any other.
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.GreaterOrEqual(t, ce.Offset, int64(segmentHeaderSize))
	require.Equal(t, filepath.Join(dir, segmentName(1)), ce.File)
	require.Equal(t, before, dirImage(t, dir))
	// The lock was released.
	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 5, j.replayed)
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{})
	_, _, err := Open(vfs.OS, dir, Options{}, nil)
	require.ErrorIs(t, err, ErrLocked)
	require.ErrorIs(t, err, vfs.ErrLocked)
	require.NoError(t, j.Close())
	j = open(t, vfs.OS, dir, Options{})
	require.NoError(t, j.Close())
}

func TestCloseAndAppendAfterClose(t *testing.T) {
	j := open(t, vfs.OS, t.TempDir(), Options{})
	require.NoError(t, put(t, j.Journal, 1, 1, false))
	require.NoError(t, j.Close())
	require.NoError(t, j.Close())

	w := newWaiter()
	err := j.Append(context.Background(), &handoff.Parcel{Entries: entries(2, 2), AfterWrite: []handoff.Waiter{w}})
	require.ErrorIs(t, err, actor.ErrClosed)
	require.False(t, w.settled(), "Append after Close leaves the waiters to the caller")
	require.NoError(t, j.Err())
}

func TestCloseDrains(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	var ws []waiter
	for lsn := uint64(1); lsn <= 100; lsn++ {
		w := newWaiter()
		ws = append(ws, w)
		require.NoError(t, j.Append(context.Background(), &handoff.Parcel{Entries: entries(lsn, lsn), AfterSync: []handoff.Waiter{w}}))
	}
	require.NoError(t, j.Close())
	for _, w := range ws {
		require.NoError(t, w.wait(t))
	}
	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 100, j.replayed)
}

func TestAppendRacingClose(t *testing.T) {
	// Every Append either queues its batch, which is then settled, or
	// returns an error and leaves its waiter alone: none is lost. Close
	// starts once k Appends have succeeded, a different k each round, while
	// the other goroutines go on appending.
	const rounds, goroutines, appends = 20, 8, 20
	for round := range rounds {
		k := int64(1 + round*goroutines*appends/rounds)
		j := open(t, vfs.OS, t.TempDir(), Options{Mailbox: 4})
		var (
			wg       sync.WaitGroup
			appended atomic.Int64
			reached  = make(chan struct{})
		)
		for range goroutines {
			wg.Go(func() {
				for range appends {
					w := newWaiter()
					err := j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
					if err != nil {
						require.ErrorIs(t, err, actor.ErrClosed)
						require.False(t, w.settled())
						return
					}
					if appended.Add(1) == k {
						close(reached)
					}
					require.NoError(t, w.wait(t))
				}
			})
		}
		select {
		case <-reached:
		case <-time.After(bound):
			t.Fatalf("round %d: %d Appends never succeeded", round, k)
		}
		require.NoError(t, j.Close())
		wg.Wait()
	}
}

func TestAppendHonoursContext(t *testing.T) {
	j := open(t, vfs.OS, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// With a free mailbox the send may still win; either outcome is fine,
	// as long as a refused batch is left alone.
	w := newWaiter()
	err := j.Append(ctx, &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
	if err != nil {
		require.ErrorIs(t, err, context.Canceled)
	} else {
		require.NoError(t, w.wait(t))
	}
	require.NoError(t, j.Append(context.Background(), nil))
}

func TestInvalidBatch(t *testing.T) {
	tests := []struct {
		name string
		b    func() *handoff.Parcel
	}{
		{"gap", func() *handoff.Parcel { return &handoff.Parcel{Entries: entries(5, 5)} }},
		{"repeat", func() *handoff.Parcel { return &handoff.Parcel{Entries: entries(3, 3)} }},
		{"out of order", func() *handoff.Parcel { return &handoff.Parcel{Entries: []handoff.Entry{{LSN: 5}, {LSN: 4}}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			j := open(t, vfs.OS, dir, Options{})
			require.NoError(t, put(t, j.Journal, 1, 3, false))
			b := tt.b()
			w := newWaiter()
			b.AfterWrite = []handoff.Waiter{w}
			require.NoError(t, j.Append(context.Background(), b))
			err := w.wait(t)
			require.ErrorIs(t, err, ErrReadOnly)
			require.ErrorIs(t, err, ErrInvalidParcel)
			require.ErrorIs(t, j.Err(), ErrInvalidParcel)
			require.ErrorIs(t, put(t, j.Journal, 4, 4, false), ErrReadOnly)
			require.ErrorIs(t, j.Close(), ErrReadOnly)
			j = open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, 3, j.replayed)
		})
	}
}

func TestOpenRefusesBadPlaces(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, _, err := Open(vfs.OS, file, Options{}, nil)
	require.Error(t, err)
	_, _, err = Open(vfs.OS, filepath.Join(file, "sub"), Options{}, nil)
	require.Error(t, err)
	_, _, err = Open(vfs.OS, t.TempDir(), Options{SegmentSize: -1}, nil)
	require.Error(t, err)
}

// TestCloseRecordsFinalFsync checks the frame with no entries that Close
// appends to record its final fsync, and what it buys: damage before it in
// a cleanly closed segment is corruption, where the same damage in the image
// a crash leaves (no such frame) is a torn tail.
func TestCloseRecordsFinalFsync(t *testing.T) {
	const n = 9
	tests := []struct {
		name  string
		sync  bool
		frame int // index of the damaged frame
	}{
		{"written, middle frame", false, n / 2},
		{"synced, last frame with entries", true, n - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			seg := segPath(dir, 1)
			j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
			for lsn := uint64(1); lsn <= n; lsn++ {
				require.NoError(t, put(t, j.Journal, lsn, lsn, tt.sync))
			}
			crash := readFile(t, seg) // what a kill -9 would leave
			require.NoError(t, j.Close())
			data := readFile(t, seg)
			require.Equal(t, crash, data[:len(crash)], "Close only appends")
			f, size, err := decodeFrame(data[len(crash):])
			require.NoError(t, err)
			require.Equal(t, len(data)-len(crash), size, "one frame")
			require.Equal(t, decodedFrame{Type: frameEntries, FirstLSN: n + 1, Synced: uint64(len(crash))}, f)
			scan, err := scanSegment(seg, data, true, 1)
			require.NoError(t, err)
			requireEntries(t, 1, n, scan.Entries)
			require.Equal(t, int64(-1), scan.TornAt)

			at := frameOffsets(t, crash)[tt.frame]
			flip := func(img []byte) []byte {
				b := bytes.Clone(img)
				b[at+frameHeaderSize+2] ^= 0x10
				return b
			}

			writeFileT(t, seg, flip(data))
			before := dirImage(t, dir)
			_, err = tryOpen(vfs.OS, dir, Options{})
			require.ErrorIs(t, err, ErrCorrupt)
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, seg, ce.File)
			require.Equal(t, at, ce.Offset)
			require.Equal(t, before, dirImage(t, dir))

			bad := flip(crash)
			writeFileT(t, seg, bad)
			removeClosed(t, dir) // a kill -9 leaves no clean-close marker
			o := open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, uint64(tt.frame), o.replayed)
			requireTornSaved(t, o.rep, seg, at, bad[at:])
			require.NoError(t, o.Close())
		})
	}
}

// TestCloseRecordsOnce opens and closes a journal again and again: a
// segment whose last frame already records that all of it is synced is left
// byte for byte as it was, and writes after that frame continue the log.
func TestCloseRecordsOnce(t *testing.T) {
	dir := t.TempDir()
	seg := segPath(dir, 1)
	j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	require.NoError(t, j.Close())
	require.Len(t, readFile(t, seg), segmentHeaderSize, "nothing written, nothing recorded")

	j = open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 3, false))
	require.NoError(t, put(t, j.Journal, 4, 5, true))
	require.NoError(t, j.Close())
	img := dirImage(t, dir)
	for range 3 {
		o := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
		requireEntries(t, 1, 5, o.replayed)
		require.Nil(t, o.rep.Torn)
		require.NoError(t, o.Close())
		require.Equal(t, img, dirImage(t, dir))
	}

	o := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, o.Journal, 6, 7, false))
	require.NoError(t, o.Close())
	data := readFile(t, seg)
	offs := frameOffsets(t, data)
	var counts []int
	for _, off := range offs[:len(offs)-1] {
		f, _, err := decodeFrame(data[off:])
		require.NoError(t, err)
		counts = append(counts, len(f.Entries))
	}
	require.Equal(t, []int{3, 2, 0, 2, 0}, counts)
	img = dirImage(t, dir)
	o = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 7, o.replayed)
	require.Equal(t, uint64(7), o.rep.LastLSN)
	require.NoError(t, o.Close())
	require.Equal(t, img, dirImage(t, dir))
}
