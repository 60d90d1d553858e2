package journal

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// syncGate is a file system over vfs.OS whose fsyncs of segment files can be
// held: while hold is set, each one announces itself on entered and waits
// for the test to send the error it returns on release.
type syncGate struct {
	hold    atomic.Bool
	entered chan string   // name of each held fsync, as it starts
	release chan error    // what each held fsync returns
	done    chan struct{} // closed at the end of the test: nothing is held any more
	syncs   atomic.Int64  // fsyncs of segments since the journal opened
	writes  atomic.Int64  // writes to segments since the journal opened
}

func newSyncGate() *syncGate {
	return &syncGate{entered: make(chan string, 16), release: make(chan error), done: make(chan struct{})}
}

// open opens dir through g and forgets the fsyncs recovery made. A test that
// fails while an fsync is held does not hang: the cleanup lets it through
// before the journal is closed.
func (g *syncGate) open(t *testing.T, dir string, opts Options) *opened {
	t.Helper()
	j := open(t, g.fs(), dir, opts)
	t.Cleanup(func() {
		g.hold.Store(false)
		close(g.done)
	})
	g.syncs.Store(0)
	g.writes.Store(0)
	return j
}

func (g *syncGate) fs() vfs.FS {
	return &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		if !strings.HasSuffix(name, segmentSuffix) {
			return nil
		}
		if op == vfs.OpWrite {
			g.writes.Add(1)
		}
		if op != vfs.OpSync {
			return nil
		}
		g.syncs.Add(1)
		if !g.hold.Load() {
			return nil
		}
		select {
		case g.entered <- name:
		case <-g.done:
			return nil
		}
		select {
		case err := <-g.release:
			return err
		case <-g.done:
			return nil
		}
	}}
}

// waitEntered waits until a held fsync has started and returns its file.
func (g *syncGate) waitEntered(t testing.TB) string {
	t.Helper()
	select {
	case name := <-g.entered:
		return name
	case <-time.After(bound):
		t.Fatal("no fsync started")
		return ""
	}
}

// requireNoneEntered requires that no held fsync has started.
func (g *syncGate) requireNoneEntered(t testing.TB) {
	t.Helper()
	select {
	case name := <-g.entered:
		t.Fatalf("an fsync of %s started", name)
	default:
	}
}

// appendB appends b and requires Append to succeed.
func appendB(t testing.TB, j *Journal, b *handoff.Parcel) {
	t.Helper()
	require.NoError(t, j.Append(context.Background(), b))
}

// askSyncs appends n batches with one AfterSync waiter and no entries, from
// n goroutines at once. It returns without waiting for them; the function it
// returns waits until every Append has returned and gives their waiters. A
// failed Append fails the test.
func askSyncs(t testing.TB, j *Journal, n int) (wait func() []waiter) {
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ws []waiter
	)
	for range n {
		wg.Go(func() {
			w := newWaiter()
			if err := j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}}); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ws = append(ws, w)
			mu.Unlock()
		})
	}
	return func() []waiter {
		t.Helper()
		wg.Wait()
		require.Len(t, ws, n)
		return ws
	}
}

// handled appends a batch with one AfterWrite waiter and no entries and
// waits for it: once it is settled the journal's goroutine has handled every
// batch appended before it.
func handled(t testing.TB, j *Journal) {
	t.Helper()
	w := newWaiter()
	appendB(t, j, &handoff.Parcel{AfterWrite: []handoff.Waiter{w}})
	require.NoError(t, w.wait(t))
}

// frameSynced returns the Synced offset of each frame in a segment image.
func frameSynced(t testing.TB, data []byte) []uint64 {
	t.Helper()
	var synced []uint64
	offs := frameOffsets(t, data)
	for _, off := range offs[:len(offs)-1] {
		f, _, err := decodeFrame(data[off:])
		require.NoError(t, err)
		synced = append(synced, f.Synced)
	}
	return synced
}

// TestWritesGoOnDuringFsync holds an fsync and checks that Written-level
// batches are written and acknowledged meanwhile, that their frames record
// only the fsyncs that had completed, and that the held fsync's waiter is
// settled only once it completes.
func TestWritesGoOnDuringFsync(t *testing.T) {
	g := newSyncGate()
	dir := t.TempDir()
	seg := segPath(dir, 1)
	j := g.open(t, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 1, false))

	g.hold.Store(true)
	ws := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(2, 2), AfterSync: []handoff.Waiter{ws}})
	g.waitEntered(t)
	synced := int64(len(readFile(t, seg))) // what the held fsync covers

	// Written-level batches, each settled after its write, while the
	// fsync is held.
	for lsn := uint64(3); lsn <= 5; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, false))
	}
	scan, err := scanSegment(seg, readFile(t, seg), true, 1)
	require.NoError(t, err)
	requireEntries(t, 1, 5, scan.Entries)
	require.False(t, ws.settled(), "settled before its fsync completed")
	require.Equal(t, int64(1), g.syncs.Load())

	g.hold.Store(false)
	g.release <- nil
	require.NoError(t, ws.wait(t))
	require.NoError(t, put(t, j.Journal, 6, 6, false))
	require.NoError(t, j.Close())

	// Frames 1 to 4 were written before any fsync completed; frame 5
	// after the held one, which it records.
	got := frameSynced(t, readFile(t, seg))
	require.Equal(t, []uint64{segmentHeaderSize, segmentHeaderSize, segmentHeaderSize, segmentHeaderSize, segmentHeaderSize, uint64(synced)}, got[:6])
	re := open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 6, re.replayed)
}

// TestSyncWaitersShareNextFsync holds an fsync while sync waiters arrive
// from many goroutines, with entries and without: none is settled by the
// held fsync, whose data it does not cover, and all are settled by one next
// fsync.
func TestSyncWaitersShareNextFsync(t *testing.T) {
	g := newSyncGate()
	j := g.open(t, t.TempDir(), Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 1, false))

	g.hold.Store(true)
	first := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(2, 2), AfterSync: []handoff.Waiter{first}})
	g.waitEntered(t)

	const writers, syncers = 20, 40
	var late []waiter
	for lsn := uint64(3); lsn < 3+writers; lsn++ {
		w := newWaiter()
		late = append(late, w)
		appendB(t, j.Journal, &handoff.Parcel{Entries: entries(lsn, lsn), AfterSync: []handoff.Waiter{w}})
	}
	late = append(late, askSyncs(t, j.Journal, syncers)()...)
	require.Len(t, late, writers+syncers)
	handled(t, j.Journal) // every batch above is queued

	require.False(t, first.settled())
	for _, w := range late {
		require.False(t, w.settled())
	}
	g.requireNoneEntered(t)
	require.Equal(t, int64(1), g.syncs.Load(), "one fsync in flight at a time")

	// The held fsync completes: it covers the first waiter only; the next
	// one starts at once for all the others.
	g.release <- nil
	require.NoError(t, first.wait(t))
	g.waitEntered(t)
	for _, w := range late {
		require.False(t, w.settled(), "settled by an fsync that did not cover it")
	}
	g.release <- nil
	for _, w := range late {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, int64(2), g.syncs.Load(), "%d late waiters shared one fsync", len(late))
	t.Logf("%d sync waiters that arrived during an fsync shared %d fsync", len(late), g.syncs.Load()-1)

	// Nothing is dirty now: a sync-only batch costs nothing.
	g.hold.Store(false)
	w := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
	require.NoError(t, w.wait(t))
	require.Equal(t, int64(2), g.syncs.Load())
	require.NoError(t, j.Close())
}

// TestSyncedBatchesWrittenTogether holds an fsync while batches that only
// wait for the next one arrive one at a time: they are written with one
// write when it completes, and share one fsync.
func TestSyncedBatchesWrittenTogether(t *testing.T) {
	g := newSyncGate()
	dir := t.TempDir()
	// A mailbox of one, handled one message at a time: an Append returns
	// once the message two before it has been handled (the actor has come
	// back for the next one). The two sync requests at the end are that
	// barrier for the last batch with entries; they cost no write and no
	// fsync of their own whenever they are handled.
	j := g.open(t, dir, Options{SyncInterval: quiet, Mailbox: 1, MaxDrain: 1})
	g.hold.Store(true)
	first := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(1, 1), AfterSync: []handoff.Waiter{first}})
	g.waitEntered(t)
	require.Equal(t, int64(1), g.writes.Load())

	const n = 50
	var ws []waiter
	for lsn := uint64(2); lsn < 2+n; lsn++ {
		w := newWaiter()
		ws = append(ws, w)
		appendB(t, j.Journal, &handoff.Parcel{Entries: entries(lsn, lsn), AfterSync: []handoff.Waiter{w}})
	}
	for range 2 { // sync requests, held behind the others
		w := newWaiter()
		ws = append(ws, w)
		appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
	}
	require.Equal(t, int64(1), g.writes.Load(), "no write for batches waiting for an fsync")

	g.release <- nil
	require.NoError(t, first.wait(t))
	g.waitEntered(t)
	require.Equal(t, int64(2), g.writes.Load(), "one write for all that was held")
	scan, err := scanSegment(segPath(dir, 1), readFile(t, segPath(dir, 1)), true, 1)
	require.NoError(t, err)
	requireEntries(t, 1, 1+n, scan.Entries)
	g.hold.Store(false)
	g.release <- nil
	for _, w := range ws {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, int64(2), g.syncs.Load())
	require.NoError(t, j.Close())
}

// TestSyncOnlyWaitsForCoveringFsync checks what a batch with only a sync
// waiter waits for while an fsync is in flight: that fsync if it covers all
// that is written, else the next one.
func TestSyncOnlyWaitsForCoveringFsync(t *testing.T) {
	g := newSyncGate()
	j := g.open(t, t.TempDir(), Options{SyncInterval: quiet})
	g.hold.Store(true)
	require.NoError(t, j.Append(context.Background(), &handoff.Parcel{Entries: entries(1, 1), AfterSync: []handoff.Waiter{newWaiter()}}))
	g.waitEntered(t)

	// Covered by the fsync in flight.
	covered := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{covered}})
	handled(t, j.Journal)
	require.False(t, covered.settled())
	g.release <- nil
	require.NoError(t, covered.wait(t))
	require.Equal(t, int64(1), g.syncs.Load())

	// Written after the fsync in flight started: waits for another.
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(2, 2), AfterSync: []handoff.Waiter{newWaiter()}})
	g.waitEntered(t)
	require.NoError(t, put(t, j.Journal, 3, 3, false))
	beyond := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{beyond}})
	g.release <- nil
	g.waitEntered(t)
	require.False(t, beyond.settled())
	g.hold.Store(false)
	g.release <- nil
	require.NoError(t, beyond.wait(t))
	require.Equal(t, int64(3), g.syncs.Load())
	require.NoError(t, j.Close())
}

// TestFailedBackgroundFsync fails a held fsync while sync waiters wait for
// it and for the next one: all of them get the failure, even though later
// fsyncs would succeed, and every later batch is refused.
func TestFailedBackgroundFsync(t *testing.T) {
	g := newSyncGate()
	dir := t.TempDir()
	seg := segPath(dir, 1)
	j := g.open(t, dir, Options{SyncInterval: quiet})
	g.hold.Store(true)
	ws := []waiter{newWaiter()}
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(1, 2), AfterSync: []handoff.Waiter{ws[0]}})
	g.waitEntered(t)
	for lsn := uint64(3); lsn <= 4; lsn++ {
		ww, w := newWaiter(), newWaiter()
		ws = append(ws, w)
		appendB(t, j.Journal, &handoff.Parcel{Entries: entries(lsn, lsn), AfterWrite: []handoff.Waiter{ww}, AfterSync: []handoff.Waiter{w}})
		require.NoError(t, ww.wait(t), "written while the fsync is held")
	}
	w := newWaiter()
	ws = append(ws, w)
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
	handled(t, j.Journal)

	g.hold.Store(false) // later fsyncs would succeed: no retry may acknowledge
	g.release <- vfs.ErrInjected
	failure := ws[0].wait(t)
	require.ErrorIs(t, failure, ErrReadOnly)
	require.ErrorIs(t, failure, vfs.ErrInjected)
	for _, w := range ws[1:] {
		require.Equal(t, failure, w.wait(t))
	}
	require.Equal(t, failure, j.Err())

	require.ErrorIs(t, put(t, j.Journal, 5, 5, false), ErrReadOnly)
	require.ErrorIs(t, put(t, j.Journal, 5, 5, true), ErrReadOnly)
	w = newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{w}})
	require.Equal(t, failure, w.wait(t))
	require.Equal(t, failure, j.Close())

	// A failed journal records no fsync at Close: the last frame holds
	// entries.
	data := readFile(t, seg)
	offs := frameOffsets(t, data)
	f, _, err := decodeFrame(data[offs[len(offs)-2]:])
	require.NoError(t, err)
	require.NotEmpty(t, f.Entries)
	re := open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 4, re.replayed)
}

// TestRotationDuringFsync fills a segment while its fsync is held: the
// rotation waits for it, fsyncs the rest, settles the waiters and goes on
// in the next segment.
func TestRotationDuringFsync(t *testing.T) {
	g := newSyncGate()
	dir := t.TempDir()
	const size = 300
	j := g.open(t, dir, Options{SegmentSize: size, SyncInterval: quiet})
	g.hold.Store(true)
	w1 := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(1, 2), AfterSync: []handoff.Waiter{w1}})
	require.Equal(t, segPath(dir, 1), g.waitEntered(t))

	// Fill the segment while its fsync is held; the sync waiter waits for
	// the next fsync.
	w2 := newWaiter()
	lsn := uint64(3)
	for ; len(readFile(t, segPath(dir, 1))) < size; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, false))
	}
	appendB(t, j.Journal, &handoff.Parcel{AfterSync: []handoff.Waiter{w2}})
	// This write finds the segment full and rotates, waiting for the
	// fsync in flight.
	w3 := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(lsn, lsn), AfterWrite: []handoff.Waiter{w3}})
	require.False(t, w1.settled())
	require.False(t, w2.settled())
	require.False(t, w3.settled())
	require.Equal(t, []string{segPath(dir, 1)}, segments(t, dir))

	g.hold.Store(false)
	g.release <- nil
	require.NoError(t, w1.wait(t))
	require.NoError(t, w2.wait(t))
	require.NoError(t, w3.wait(t))
	require.Equal(t, []string{segPath(dir, 1), segPath(dir, lsn)}, segments(t, dir))
	require.NoError(t, put(t, j.Journal, lsn+1, lsn+2, true))
	require.NoError(t, j.Close())

	// The full segment was fsynced whole before it was closed (its own
	// frames could not record that), the new one records its own fsyncs.
	old, err := scanSegment(segPath(dir, 1), readFile(t, segPath(dir, 1)), false, 1)
	require.NoError(t, err)
	requireEntries(t, 1, lsn-1, old.Entries)
	re := open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, lsn+2, re.replayed)
	require.Equal(t, 2, re.rep.Segments)
}

// TestCloseWaitsForFsync closes the journal while an fsync is held: Close
// waits for it, settles every waiter, records the fsync and leaves no
// goroutine behind.
func TestCloseWaitsForFsync(t *testing.T) {
	g := newSyncGate()
	dir := t.TempDir()
	j := g.open(t, dir, Options{SyncInterval: quiet})
	g.hold.Store(true)
	w1 := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(1, 3), AfterSync: []handoff.Waiter{w1}})
	g.waitEntered(t)
	w2 := newWaiter()
	appendB(t, j.Journal, &handoff.Parcel{Entries: entries(4, 4), AfterSync: []handoff.Waiter{w2}})
	handled(t, j.Journal)

	closed := make(chan error, 1)
	go func() { closed <- j.Close() }()
	// Close cannot finish while the fsync is held, whenever it got there.
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v during an fsync", err)
	default:
	}
	require.False(t, w1.settled())
	require.False(t, w2.settled())
	g.hold.Store(false)
	g.release <- nil
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(bound):
		t.Fatal("Close never returned")
	}
	require.NoError(t, w1.wait(t))
	require.NoError(t, w2.wait(t))
	goleak.VerifyNone(t)

	data := readFile(t, segPath(dir, 1))
	offs := frameOffsets(t, data)
	f, _, err := decodeFrame(data[offs[len(offs)-2]:])
	require.NoError(t, err)
	require.Equal(t, decodedFrame{Type: frameEntries, FirstLSN: 5, Synced: uint64(offs[len(offs)-2])}, f)
	re := open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 4, re.replayed)
}

// TestTickerStartsOneFsync lets the ticker fire while the fsync it started
// is held: it starts no other, and starts one again once that completes and
// more is written. It runs in a synctest bubble, so every tick the test
// sleeps through does fire.
func TestTickerStartsOneFsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Millisecond
		g := newSyncGate()
		j := g.open(t, t.TempDir(), Options{SyncInterval: interval})
		g.hold.Store(true)
		require.NoError(t, put(t, j.Journal, 1, 1, false))
		time.Sleep(interval)
		g.waitEntered(t)
		// Writes go on meanwhile, and ticks: each write makes the segment
		// dirtier, but the tick after it does not start a second fsync.
		for lsn := uint64(2); lsn <= 20; lsn++ {
			require.NoError(t, put(t, j.Journal, lsn, lsn, false))
			time.Sleep(interval)
		}
		synctest.Wait()
		g.requireNoneEntered(t)
		require.Equal(t, int64(1), g.syncs.Load())
		g.release <- nil
		time.Sleep(interval)
		g.waitEntered(t) // the next tick syncs what was written meanwhile
		g.hold.Store(false)
		g.release <- nil
		require.NoError(t, j.Close())
	})
}

// TestSyncerStateMachine drives a writer by hand, with no goroutine behind
// its syncer, to check when it asks for an fsync and what each result
// settles.
func TestSyncerStateMachine(t *testing.T) {
	f := &memFile{name: "x.wal"}
	f.Write(appendSegmentHeader(nil, 1))
	w := &writer{f: f, size: segmentHeaderSize, synced: segmentHeaderSize, recorded: segmentHeaderSize, next: 1, segmentSize: 1 << 20, sy: newSyncer()}
	msg := func(b *handoff.Parcel) []message { return []message{{b: b}} }
	requested := func() (syncReq, bool) {
		select {
		case r := <-w.sy.reqs:
			return r, true
		default:
			return syncReq{}, false
		}
	}
	complete := func(r syncReq) { w.sy.results <- syncResult{off: r.off} }

	// Nothing written: a sync waiter is settled at once, the ticker idles.
	a := newWaiter()
	w.Handle(msg(&handoff.Parcel{AfterSync: []handoff.Waiter{a}}))
	require.True(t, a.settled())
	w.Tick()
	_, ok := requested()
	require.False(t, ok)

	// A sync waiter with entries asks for an fsync up to the size.
	b := newWaiter()
	w.Handle(msg(&handoff.Parcel{Entries: entries(1, 1), AfterSync: []handoff.Waiter{b}}))
	r1, ok := requested()
	require.True(t, ok)
	require.Equal(t, w.size, r1.off)
	require.True(t, w.inflight)

	// While it runs: writes, a waiter it covers, one it does not, ticks.
	c := newWaiter()
	w.Handle(msg(&handoff.Parcel{AfterSync: []handoff.Waiter{c}}))
	w.Handle(msg(&handoff.Parcel{Entries: entries(2, 2), AfterWrite: []handoff.Waiter{newWaiter()}}))
	d := newWaiter()
	w.Handle(msg(&handoff.Parcel{AfterSync: []handoff.Waiter{d}}))
	w.Tick()
	w.Handle([]message{{}}) // a wake-up with nothing ready
	_, ok = requested()
	require.False(t, ok, "a second fsync while one is in flight")
	require.False(t, b.settled() || c.settled() || d.settled())

	// The result settles b and c and starts the next fsync for d.
	complete(r1)
	w.Handle([]message{{}})
	require.True(t, b.settled() && c.settled())
	require.False(t, d.settled())
	require.Equal(t, r1.off, w.synced)
	r2, ok := requested()
	require.True(t, ok)
	require.Equal(t, w.size, r2.off)
	require.Greater(t, r2.off, r1.off)
	complete(r2)
	w.Tick()
	require.True(t, d.settled())
	_, ok = requested()
	require.False(t, ok, "nothing dirty")
	require.Zero(t, f.syncs, "the writer itself never fsyncs between rotations")

	// While an fsync runs, batches that only wait for the next one are
	// held unwritten, a sync request after them too; a batch that cannot
	// wait is written with them, in order, and the rest are written with
	// one write when the fsync completes.
	w.Handle(msg(&handoff.Parcel{Entries: entries(3, 3), AfterSync: []handoff.Waiter{newWaiter()}}))
	r3, ok := requested()
	require.True(t, ok)
	size, writes := f.data.Len(), f.writes
	h1, h2, h3 := newWaiter(), newWaiter(), newWaiter()
	w.Handle(msg(&handoff.Parcel{Entries: entries(4, 4), AfterSync: []handoff.Waiter{h1}}))
	w.Handle(msg(&handoff.Parcel{AfterSync: []handoff.Waiter{h2}}))
	w.Handle(msg(&handoff.Parcel{Entries: entries(5, 6), AfterSync: []handoff.Waiter{h3}}))
	require.Equal(t, size, f.data.Len(), "held batches are not written")
	require.Len(t, w.held, 3)
	w.Handle(msg(&handoff.Parcel{Entries: entries(7, 7)})) // no waiter: written at once
	require.Equal(t, writes+1, f.writes)
	require.Empty(t, w.held)
	scan, err := scanSegment(f.name, f.data.Bytes(), true, 1)
	require.NoError(t, err)
	requireEntries(t, 1, 7, scan.Entries)
	h4 := newWaiter()
	w.Handle(msg(&handoff.Parcel{Entries: entries(8, 9), AfterSync: []handoff.Waiter{h4}}))
	require.Len(t, w.held, 1)
	complete(r3)
	w.Handle([]message{{}})
	require.Equal(t, writes+2, f.writes, "one write for what was held")
	require.Empty(t, w.held)
	r4, ok := requested()
	require.True(t, ok, "one fsync for all the held waiters")
	require.Equal(t, int64(f.data.Len()), r4.off)
	require.False(t, h1.settled() || h2.settled() || h3.settled() || h4.settled())
	complete(r4)
	w.Tick()
	require.True(t, h1.settled() && h2.settled() && h3.settled() && h4.settled())
	_, ok = requested()
	require.False(t, ok)

	// Written, not synced: the ticker asks; its failure fails the waiters
	// that came meanwhile and makes the writer read-only.
	w.Handle(msg(&handoff.Parcel{Entries: entries(10, 10)}))
	w.Tick()
	r5, ok := requested()
	require.True(t, ok)
	e, h5 := newWaiter(), newWaiter()
	w.Handle(msg(&handoff.Parcel{AfterSync: []handoff.Waiter{e}}))
	w.Handle(msg(&handoff.Parcel{Entries: entries(11, 11), AfterSync: []handoff.Waiter{h5}}))
	require.Len(t, w.held, 1)
	w.sy.results <- syncResult{off: r5.off, err: vfs.ErrInjected}
	w.Tick()
	require.ErrorIs(t, <-e, ErrReadOnly)
	require.ErrorIs(t, <-h5, ErrReadOnly, "held batches get the failure too")
	require.Empty(t, w.held)
	require.ErrorIs(t, w.err, vfs.ErrInjected)
	require.Less(t, w.synced, r5.off)
}

// memFile is a vfs.File in memory that counts its writes and fsyncs.
type memFile struct {
	name   string
	data   bytes.Buffer
	writes int
	syncs  int
}

func (f *memFile) Write(p []byte) (int, error) { f.writes++; return f.data.Write(p) }
func (f *memFile) Close() error                { return nil }
func (f *memFile) Sync() error                 { f.syncs++; return nil }
func (f *memFile) Truncate(size int64) error   { f.data.Truncate(int(size)); return nil }
func (f *memFile) Name() string                { return f.name }

// TestMixedLoad runs batches from one goroutine, sync requests from others,
// a ticker every millisecond and small segments together, with no waiting
// between batches so that they pile up behind fsyncs and rotations: every
// waiter is settled without error, and a reopen replays every entry. In the
// "synced" mix every batch waits for an fsync, so batches are held during
// each fsync and written when it completes, rotating the segment.
func TestMixedLoad(t *testing.T) {
	for _, mix := range []string{"mixed", "synced"} {
		t.Run(mix, func(t *testing.T) {
			dir := t.TempDir()
			j := open(t, vfs.OS, dir, Options{SegmentSize: 4096, SyncInterval: time.Millisecond, Mailbox: 8, MaxDrain: 4})
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						w := newWaiter()
						if err := j.Append(context.Background(), &handoff.Parcel{AfterSync: []handoff.Waiter{w}}); err != nil {
							t.Error(err)
							return
						}
						if err := w.wait(t); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var ws []waiter
			lsn := uint64(1)
			for range 2000 {
				k := uint64(rng.IntN(3) + 1)
				b := &handoff.Parcel{Entries: entries(lsn, lsn+k-1)}
				lsn += k
				w := newWaiter()
				switch kind := rng.IntN(3); {
				case mix == "synced" || kind == 1:
					b.AfterSync = []handoff.Waiter{w}
					ws = append(ws, w)
				case kind == 0:
					b.AfterWrite = []handoff.Waiter{w}
					ws = append(ws, w)
				}
				appendB(t, j.Journal, b)
			}
			for _, w := range ws {
				require.NoError(t, w.wait(t))
			}
			close(stop)
			wg.Wait()
			require.NoError(t, j.Close())
			// Held batches go out in large writes, which a segment may
			// pass its size by: how many segments there are varies.
			segs := len(segments(t, dir))
			require.Greater(t, segs, 1, "segments rotated")
			t.Logf("%d entries in %d segments", lsn-1, segs)
			re := open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, lsn-1, re.replayed)
		})
	}
}
