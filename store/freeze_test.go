package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// Engine snapshots: Snapshot, automatic snapshots, Close during a save,
// Exec, Read, Stats, and folding after a save.

func batchEntry(lsn uint64, c store.Command) handoff.Entry {
	return handoff.Entry{LSN: lsn, Data: mustEncode(c)}
}

// plainMachine is a key-value machine that cannot be snapshotted.
type plainMachine struct{ kv *store.KV }

func (p plainMachine) Apply(c store.Command) (store.Result, bool, error) { return p.kv.Apply(c) }
func (p plainMachine) Query(q store.Query) store.Result                  { return p.kv.Query(q) }

// saveCall is one call of fakeSnaps.Save. The fields above mu are set
// before the call is announced on entered and never change.
type saveCall struct {
	lsn     uint64
	n       int               // the image's Len
	state   map[string]string // the image as read when Save began
	readErr error             // from reading it
	proceed chan error        // hold mode: the test says how Save goes on

	f *fakeSnaps
}

// saveStatus is how far a save got.
type saveStatus struct {
	ready     bool  // ready fired
	readyErr  error // with this
	committed bool  // Save made the snapshot "visible"
	canceled  bool  // Save saw its context end
	unstable  bool  // the image read differently after ready
	returned  bool  // Save returned
	err       error // with this
}

// fakeSnaps is a store.Snapshots that reads each image in the saving
// goroutine, waits for ready before it "commits", and reads the image again
// then, to check it did not change. In hold mode each Save also waits,
// before it looks at ready, until the test sends on its call's proceed
// (nil to go on, an error to fail with it).
type fakeSnaps struct {
	written atomic.Int64
	entered chan *saveCall // every call, as it begins

	mu       sync.Mutex
	hold     bool
	size     int64 // what a successful Save returns
	failWith error // what Save returns after ready, if not nil
	calls    []*saveCall
	status   map[*saveCall]*saveStatus
}

func newFakeSnaps(hold bool) *fakeSnaps {
	return &fakeSnaps{
		entered: make(chan *saveCall, 4096),
		hold:    hold,
		size:    64,
		status:  make(map[*saveCall]*saveStatus),
	}
}

var _ store.Snapshots = (*fakeSnaps)(nil)

// Save implements store.Snapshots.
func (f *fakeSnaps) Save(ctx context.Context, lsn uint64, img store.Image, ready <-chan error) (int64, error) {
	c := &saveCall{lsn: lsn, n: img.Len(), proceed: make(chan error, 1), f: f}
	c.state, c.readErr = imageContents(img)
	st := &saveStatus{}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.status[c] = st
	hold := f.hold
	f.mu.Unlock()
	f.entered <- c

	end := func(size int64, err error) (int64, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		st.returned, st.err = true, err
		return size, err
	}
	canceled := func() (int64, error) {
		f.mu.Lock()
		st.canceled = true
		f.mu.Unlock()
		return end(0, fmt.Errorf("fake save at LSN %d: %w", lsn, ctx.Err()))
	}
	if hold {
		select {
		case err := <-c.proceed:
			if err != nil {
				return end(0, err)
			}
		case <-ctx.Done():
			return canceled()
		}
	}
	select {
	case err := <-ready:
		f.mu.Lock()
		st.ready, st.readyErr = true, err
		f.mu.Unlock()
		if err != nil {
			return end(0, fmt.Errorf("fake save at LSN %d: the journal did not sync: %w", lsn, err))
		}
	case <-ctx.Done():
		return canceled()
	}
	again, err := imageContents(img)
	f.mu.Lock()
	st.unstable = err != nil || !maps.Equal(again, c.state)
	fail, size := f.failWith, f.size
	if fail == nil {
		st.committed = true
	}
	f.mu.Unlock()
	if fail != nil {
		return end(0, fail)
	}
	return end(size, nil)
}

// Written implements store.Snapshots.
func (f *fakeSnaps) Written() int64 { return f.written.Load() }

func (f *fakeSnaps) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeSnaps) allCalls() []*saveCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeSnaps) setFail(err error) {
	f.mu.Lock()
	f.failWith = err
	f.mu.Unlock()
}

func (f *fakeSnaps) setSize(n int64) {
	f.mu.Lock()
	f.size = n
	f.mu.Unlock()
}

// status returns how far c got.
func (c *saveCall) status() saveStatus {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return *c.f.status[c]
}

// startSnapEngine starts an engine over kv that saves snapshots to f.
func startSnapEngine(kv *store.KV, sink store.Sink, f store.Snapshots, p store.SnapshotPolicy, opts actor.Options) *kvEngine {
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.SetSnapshots(f, p)
	e.Start(sink, opts)
	return e
}

// mustUpdate applies c at level and fails the test on error.
func mustUpdate(t *testing.T, e *kvEngine, c store.Command, level store.Level) store.Result {
	t.Helper()
	r, err := update(t.Context(), e, c, level)
	require.NoError(t, err)
	return r
}

// TestSnapshotSavesStateAtLSN checks one snapshot through its steps: the
// image holds the state at the LSN of the last applied command, and stays
// so while later writes are applied; the batch handed to the sink asks for
// a rotation, and the next carries one AfterSync waiter; the save is not told ready
// (so does not commit) until the sink has synced that batch; only then does
// the caller get its answer.
func TestSnapshotSavesStateAtLSN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSink()
		f := newFakeSnaps(false)
		e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
		for _, c := range []store.Command{set("a", "1"), set("b", "2"), del("a"), set("c", "3")} {
			mustUpdate(t, e, c, store.AckApplied)
			s.next(t)
		}

		done := async(func() error { return e.Snapshot(context.Background()) })
		c := recv(t, f.entered, "Save to be called")
		rot := s.next(t)
		require.True(t, rot.Rotate, "a snapshot asks the journal to rotate")
		require.Empty(t, rot.Entries)
		require.Empty(t, rot.AfterWrite)
		require.Empty(t, rot.AfterSync)
		b := s.next(t)
		require.False(t, b.Rotate)
		require.Empty(t, b.Entries)
		require.Len(t, b.AfterSync, 1, "the save's ready waiter, in a batch after the rotation")

		require.Equal(t, uint64(4), c.lsn)
		require.NoError(t, c.readErr)
		require.Equal(t, map[string]string{"b": "2", "c": "3"}, c.state)
		require.Equal(t, 2, c.n)

		// Writes after the freeze: applied and visible, not in the image.
		mustUpdate(t, e, set("b", "X"), store.AckApplied)
		s.next(t)
		mustUpdate(t, e, del("c"), store.AckApplied)
		s.next(t)
		mustUpdate(t, e, set("d", "4"), store.AckApplied)
		s.next(t)
		require.Equal(t, map[string]string{"b": "X", "d": "4"}, engineState(t, e))

		synctest.Wait()
		require.False(t, c.status().ready, "ready before the journal synced")
		requireNotReady(t, done, "Snapshot before the journal synced")
		s.settleWrite(b, nil)
		synctest.Wait()
		require.False(t, c.status().ready, "ready after a write, before the sync")
		requireNotReady(t, done, "Snapshot before the journal synced")

		s.settleSync(b, nil)
		require.NoError(t, recv(t, done, "Snapshot to answer"))
		st := c.status()
		require.True(t, st.ready)
		require.NoError(t, st.readyErr)
		require.True(t, st.committed)
		require.False(t, st.unstable, "the image changed while it was saved")

		stats := e.Stats()
		require.Equal(t, uint64(1), stats.Snapshots)
		require.Equal(t, uint64(4), stats.LastLSN)
		require.Equal(t, int64(64), stats.LastSize)
		require.Zero(t, stats.Failed)
		require.NoError(t, stats.LastErr)

		require.NoError(t, e.Close())
		s.check(t)
		require.Equal(t, 1, f.count())
		requireContiguous(t, s.entries(), 1)
	})
}

// TestSnapshotInsideBatch queues a write, a snapshot and another write
// while the owner is stuck, so that they are drained in one batch: the
// image must hold the first write and not the second, and the batch handed
// to the sink with the rotation and the ready waiter must end with the
// snapshot's LSN, the save's ready waiter and the second write going in the
// next batch, so that the segment the rotation closes holds nothing the
// snapshot lacks.
func TestSnapshotInsideBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		s := newFakeSink()
		f := newFakeSnaps(false)
		e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
		g := s.gateNext()
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		recv(t, g.entered, "Append to be entered")

		w1 := async(func() error { _, err := update(bg, e, set("b", "2"), store.AckSynced); return err })
		synctest.Wait()
		snap := async(func() error { return e.Snapshot(bg) })
		synctest.Wait()
		w2 := async(func() error { _, err := update(bg, e, set("c", "3"), store.AckSynced); return err })
		synctest.Wait()
		close(g.release)
		s.next(t) // the first write

		b := s.next(t)
		require.Len(t, b.Entries, 1)
		require.Equal(t, uint64(2), b.Entries[0].LSN)
		require.True(t, b.Rotate)
		require.Len(t, b.AfterSync, 1, "the first write")
		after := s.next(t)
		require.Len(t, after.Entries, 1)
		require.Equal(t, uint64(3), after.Entries[0].LSN)
		require.False(t, after.Rotate)
		require.Len(t, after.AfterSync, 2, "the save's ready, then the second write")

		c := recv(t, f.entered, "Save to be called")
		require.Equal(t, uint64(2), c.lsn)
		require.Equal(t, map[string]string{"a": "1", "b": "2"}, c.state)

		synctest.Wait()
		require.False(t, c.status().ready)
		requireNotReady(t, snap, "Snapshot before the sync")
		s.settleSync(b, nil)
		s.settleSync(after, nil)
		require.NoError(t, recv(t, w1, "first write"))
		require.NoError(t, recv(t, w2, "second write"))
		require.NoError(t, recv(t, snap, "Snapshot"))
		require.True(t, c.status().committed)
		require.Equal(t, uint64(2), e.Stats().LastLSN)
		require.NoError(t, e.Close())
		s.check(t)
	})
}

// TestSnapshotConcurrentWriters takes snapshots while many goroutines
// write, some in batches big enough to need several fold steps. Every saved
// image must equal a replay of the journal up to its LSN, and must not
// change while it is saved. Under -race this also checks that the owner
// never writes a map the saving goroutine reads.
func TestSnapshotConcurrentWriters(t *testing.T) {
	const writers, opsPer, snaps = 8, 300, 25
	ctx := context.Background()
	s := newAutoSink()
	f := newFakeSnaps(false)
	e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{Mailbox: 64, MaxDrain: 16})

	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := range opsPer {
				level := levels[rng.IntN(len(levels))]
				k := fmt.Sprint("k", rng.IntN(200))
				v := fmt.Sprintf("w%d.%d", w, i)
				var c store.Command
				switch p := rng.IntN(100); {
				case p < 50:
					c = set(k, v)
				case p < 70:
					c = del(k)
				case p < 72:
					c = clr()
				case p < 75:
					ms := make([]store.Mutation, store.FoldStep+1+rng.IntN(store.FoldStep))
					for j := range ms {
						ms[j] = mset(fmt.Sprint("bulk", rng.IntN(3*store.FoldStep)), v)
					}
					c = bat(ms...)
				default:
					c = bat(mset(k, v), mdel(fmt.Sprint("k", rng.IntN(200))))
				}
				if _, err := update(ctx, e, c, level); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range snaps {
			if err := e.Snapshot(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	final := engineState(t, e)
	require.NoError(t, e.Close())
	s.check(t)

	en := s.entries()
	requireContiguous(t, en, 1)
	calls := f.allCalls()
	require.NotEmpty(t, calls)
	kv := store.NewKV(0)
	applied := uint64(0)
	var last uint64
	for i, c := range calls {
		st := c.status()
		require.True(t, st.committed, "save %d", i)
		require.False(t, st.unstable, "save %d: the image changed while it was saved", i)
		require.NoError(t, c.readErr, "save %d", i)
		if i > 0 {
			require.Greater(t, c.lsn, last, "save %d: LSNs grow", i)
		}
		last = c.lsn
		require.LessOrEqual(t, c.lsn, uint64(len(en)))
		for ; applied < c.lsn; applied++ {
			cmd, err := store.DecodeCommand(en[applied].Data)
			require.NoError(t, err)
			_, _, err = kv.Apply(cmd)
			require.NoError(t, err)
		}
		require.Equal(t, kvState(kv), c.state, "save %d at LSN %d", i, c.lsn)
		require.Equal(t, len(c.state), c.n)
	}
	require.Equal(t, uint64(len(calls)), e.Stats().Snapshots)
	require.Zero(t, e.Stats().Failed)
	require.Equal(t, final, engineStateAfterReplay(t, en))
}

// TestSnapshotCallersShareNextSave checks that callers who ask while a save
// runs share one save after it.
func TestSnapshotCallersShareNextSave(t *testing.T) {
	const waiting = 5
	tests := []struct {
		name      string
		write     bool  // a write lands while the first save runs
		firstErr  error // how the first save ends
		wantSaves int   // Save calls in all
		wantSaved uint64
	}{
		{name: "write in between", write: true, wantSaves: 2, wantSaved: 2},
		{name: "no write in between", wantSaves: 1, wantSaved: 1},
		{name: "first fails", firstErr: errBoom, wantSaves: 2, wantSaved: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bg := context.Background()
				s := newAutoSink()
				f := newFakeSnaps(true)
				e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
				mustUpdate(t, e, set("a", "1"), store.AckSynced)

				first := async(func() error { return e.Snapshot(bg) })
				c1 := recv(t, f.entered, "the first save")
				require.Equal(t, uint64(1), c1.lsn)
				if tt.write {
					mustUpdate(t, e, set("b", "2"), store.AckSynced)
				}
				later := make([]<-chan error, waiting)
				for i := range later {
					later[i] = async(func() error { return e.Snapshot(bg) })
				}
				synctest.Wait()
				require.Equal(t, 1, f.count(), "no second save while one runs")
				requireNotReady(t, first, "first Snapshot")
				for _, ch := range later {
					requireNotReady(t, ch, "a later Snapshot")
				}

				c1.proceed <- tt.firstErr
				if tt.firstErr != nil {
					require.ErrorIs(t, recv(t, first, "the first Snapshot"), tt.firstErr)
				} else {
					require.NoError(t, recv(t, first, "the first Snapshot"))
				}
				if tt.wantSaves == 2 {
					c2 := recv(t, f.entered, "the shared save")
					synctest.Wait()
					for _, ch := range later {
						requireNotReady(t, ch, "a later Snapshot before its save")
					}
					if tt.write {
						require.Equal(t, uint64(2), c2.lsn)
						require.Equal(t, map[string]string{"a": "1", "b": "2"}, c2.state)
					} else {
						require.Equal(t, uint64(1), c2.lsn)
					}
					c2.proceed <- nil
				}
				for i, ch := range later {
					require.NoError(t, recv(t, ch, fmt.Sprint("later Snapshot ", i)))
				}
				synctest.Wait()
				require.Equal(t, tt.wantSaves, f.count())
				st := e.Stats()
				require.Equal(t, tt.wantSaved, st.Snapshots)
				require.Equal(t, uint64(tt.wantSaves)-tt.wantSaved, st.Failed)
				require.NoError(t, e.Close())
				s.check(t)
			})
		})
	}
}

// TestSnapshotSkipsUnchanged checks that a snapshot with nothing applied
// since the last one saves nothing, whatever else happened in between.
func TestSnapshotSkipsUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := newAutoSink()
		f := newFakeSnaps(false)
		kv := store.NewKV(0)
		e := startSnapEngine(kv, s, f, store.SnapshotPolicy{}, actor.Options{})
		mustUpdate(t, e, set("a", "1"), store.AckSynced)
		require.NoError(t, e.Snapshot(ctx))
		require.Equal(t, 1, f.count())

		// Nothing that changes the state.
		require.NoError(t, e.Snapshot(ctx))
		mustUpdate(t, e, del("missing"), store.AckSynced)
		mustUpdate(t, e, cas("a", "wrong", "x"), store.AckSynced)
		mustUpdate(t, e, setAbsent("a", "x"), store.AckSynced)
		_, err := update(ctx, e, bat(mset("a", "2"), store.Mutation{Op: 9}), store.AckSynced)
		require.Error(t, err)
		require.NoError(t, e.Exec(ctx, func() ([]byte, error) { return nil, nil }, store.AckSynced))
		require.ErrorIs(t, e.Exec(ctx, func() ([]byte, error) { return nil, errBoom }, store.AckSynced), errBoom)
		require.NoError(t, e.Sync(ctx))
		require.NoError(t, e.Snapshot(ctx))
		synctest.Wait()
		require.Equal(t, 1, f.count())

		mustUpdate(t, e, set("b", "2"), store.AckApplied)
		require.NoError(t, e.Snapshot(ctx))
		require.Equal(t, 2, f.count())
		require.Equal(t, uint64(2), f.allCalls()[1].lsn)
		require.Equal(t, uint64(2), e.Stats().Snapshots)
		require.NoError(t, e.Close())
	})
}

// TestSnapshotAfterRestore checks that the snapshot a state was restored
// from counts as the last one: nothing to save until a write.
func TestSnapshotAfterRestore(t *testing.T) {
	ctx := context.Background()
	s := newAutoSink()
	f := newFakeSnaps(false)
	e := newKVEngine(0)
	require.NoError(t, e.Restore(5, 1, recordList("a", "1")))
	e.SetSnapshots(f, store.SnapshotPolicy{LastLSN: 5, LastSize: 10})
	e.Start(s, actor.Options{})
	require.NoError(t, e.Snapshot(ctx))
	require.Zero(t, f.count())
	mustUpdate(t, e, set("b", "2"), store.AckApplied)
	require.NoError(t, e.Snapshot(ctx))
	require.Equal(t, 1, f.count())
	c := f.allCalls()[0]
	require.Equal(t, uint64(6), c.lsn)
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, c.state)
	require.NoError(t, e.Close())
}

// TestSnapshotFails checks that a failed save reaches the caller and the
// stats, is not taken for a saved snapshot, and that a failed journal
// fails the save through ready.
func TestSnapshotFails(t *testing.T) {
	ctx := context.Background()
	errDisk := fmt.Errorf("disk full: %w", errors.New("ENOSPC"))
	s := newAutoSink()
	f := newFakeSnaps(false)
	e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
	mustUpdate(t, e, set("a", "1"), store.AckSynced)

	f.setFail(errBoom)
	require.ErrorIs(t, e.Snapshot(ctx), errBoom)
	st := e.Stats()
	require.Equal(t, uint64(1), st.Failed)
	require.ErrorIs(t, st.LastErr, errBoom)
	require.Zero(t, st.Snapshots)

	// The failed one does not count: the same state is saved again.
	f.setFail(nil)
	require.NoError(t, e.Snapshot(ctx))
	require.Equal(t, 2, f.count())
	st = e.Stats()
	require.Equal(t, uint64(1), st.Snapshots)
	require.Equal(t, uint64(1), st.LastLSN)
	require.Equal(t, uint64(1), st.Failed)

	// The journal fails: the save is told so through ready.
	mustUpdate(t, e, set("b", "2"), store.AckSynced)
	s.fail(errDisk)
	err := e.Snapshot(ctx)
	require.ErrorIs(t, err, errDisk)
	calls := f.allCalls()
	require.Len(t, calls, 3)
	last := calls[2].status()
	require.True(t, last.ready)
	require.ErrorIs(t, last.readyErr, errDisk)
	require.False(t, last.committed)
	st = e.Stats()
	require.Equal(t, uint64(2), st.Failed)
	require.ErrorIs(t, st.LastErr, errDisk)
	require.Equal(t, uint64(1), st.Snapshots)
	require.Equal(t, uint64(1), st.LastLSN)
	require.NoError(t, e.Close())
}

// TestSnapshotAutomatic checks when the engine snapshots on its own: once
// the journal has grown past both the threshold and the last snapshot's
// size since the last one began, and not before.
func TestSnapshotAutomatic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := newAutoSink()
		f := newFakeSnaps(false)
		f.setSize(1400)
		e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{Threshold: 1000}, actor.Options{})
		// poke makes the owner handle a request, after which it decides.
		poke := func() {
			t.Helper()
			_, err := e.Query(ctx, store.Query{Op: store.QueryLen})
			require.NoError(t, err)
			synctest.Wait()
		}
		mustUpdate(t, e, set("a", "1"), store.AckSynced)
		f.written.Store(1000)
		poke()
		mustUpdate(t, e, set("b", "2"), store.AckSynced)
		synctest.Wait()
		require.Zero(t, f.count(), "a growth equal to the threshold is not past it")

		f.written.Store(1001)
		poke()
		require.Equal(t, 1, f.count())
		c := f.allCalls()[0]
		require.Equal(t, uint64(2), c.lsn)
		require.Equal(t, map[string]string{"a": "1", "b": "2"}, c.state)
		st := e.Stats()
		require.Equal(t, uint64(1), st.Snapshots)
		require.Equal(t, int64(1400), st.LastSize)

		// Now the growth must pass the last size (1400) since 1001.
		mustUpdate(t, e, set("c", "3"), store.AckSynced)
		f.written.Store(1001 + 1400)
		poke()
		require.Equal(t, 1, f.count(), "growth not past the last size")
		f.written.Store(1001 + 1401)
		poke()
		require.Equal(t, 2, f.count())
		require.Equal(t, uint64(3), f.allCalls()[1].lsn)

		// No automatic snapshot while the sink has failed.
		mustUpdate(t, e, set("d", "4"), store.AckSynced)
		s.fail(errBoom)
		f.written.Store(1_000_000)
		poke()
		require.Equal(t, 2, f.count())
		require.NoError(t, e.Close())
	})
}

// TestSnapshotAutomaticPolicy checks the policy's other inputs: the size of
// the snapshot the state was restored from, a threshold that turns
// automatic snapshots off, and no second save while one runs.
func TestSnapshotAutomaticPolicy(t *testing.T) {
	t.Run("restored size", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := newAutoSink()
			f := newFakeSnaps(false)
			e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{Threshold: 100, LastSize: 1000}, actor.Options{})
			mustUpdate(t, e, set("a", "1"), store.AckSynced)
			f.written.Store(1000)
			mustUpdate(t, e, set("b", "1"), store.AckSynced)
			synctest.Wait()
			require.Zero(t, f.count())
			f.written.Store(1001)
			mustUpdate(t, e, set("c", "1"), store.AckSynced)
			synctest.Wait()
			require.Equal(t, 1, f.count())
			require.NoError(t, e.Close())
		})
	})
	t.Run("off", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := newAutoSink()
			f := newFakeSnaps(false)
			e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
			f.written.Store(1 << 40)
			mustUpdate(t, e, set("a", "1"), store.AckSynced)
			mustUpdate(t, e, set("b", "1"), store.AckSynced)
			synctest.Wait()
			require.Zero(t, f.count())
			require.NoError(t, e.Close())
		})
	})
	t.Run("one at a time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			s := newAutoSink()
			f := newFakeSnaps(true)
			e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{Threshold: 10}, actor.Options{})
			mustUpdate(t, e, set("a", "1"), store.AckSynced)
			f.written.Store(100)
			mustUpdate(t, e, set("b", "1"), store.AckSynced)
			c := recv(t, f.entered, "an automatic save")
			for i := range 10 {
				f.written.Add(1000)
				mustUpdate(t, e, set(fmt.Sprint("c", i), "1"), store.AckSynced)
			}
			synctest.Wait()
			require.Equal(t, 1, f.count())
			c.proceed <- nil
			// The journal grew past the policy while it ran: the owner
			// starts the next as soon as this one ends.
			c2 := recv(t, f.entered, "the next automatic save")
			require.Equal(t, uint64(1), e.Stats().Snapshots)
			require.Equal(t, uint64(12), c2.lsn)
			synctest.Wait()
			require.Equal(t, 2, f.count())
			c2.proceed <- nil
			synctest.Wait()
			require.Equal(t, uint64(2), e.Stats().Snapshots)
			require.NoError(t, e.Close())
		})
	})
}

// TestSnapshotCloseWhileSaving closes the engine while a save is blocked:
// Close returns, the save sees its context end, and the caller whose save
// it was and those waiting for the next one all get ErrClosed.
func TestSnapshotCloseWhileSaving(t *testing.T) {
	for _, hold := range []bool{true, false} {
		name := "blocked in Save"
		if !hold {
			name = "blocked on ready"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bg := context.Background()
				var fs *fakeSink
				if hold {
					fs = newAutoSink()
				} else {
					fs = newFakeSink() // never syncs: ready never fires before Close
				}
				f := newFakeSnaps(hold)
				e := startSnapEngine(store.NewKV(0), fs, f, store.SnapshotPolicy{}, actor.Options{})
				mustUpdate(t, e, set("a", "1"), store.AckApplied)

				first := async(func() error { return e.Snapshot(bg) })
				c := recv(t, f.entered, "the save")
				mustUpdate(t, e, set("b", "2"), store.AckApplied)
				queued := make([]<-chan error, 3)
				for i := range queued {
					queued[i] = async(func() error { return e.Snapshot(bg) })
				}
				synctest.Wait()
				requireNotReady(t, first, "Snapshot")

				require.NoError(t, recv(t, async(e.Close), "Close"))
				st := c.status()
				require.True(t, st.canceled, "the save saw its context end")
				require.True(t, st.returned)
				require.False(t, st.committed)
				require.ErrorIs(t, recv(t, first, "the first Snapshot"), store.ErrClosed)
				for i, ch := range queued {
					require.ErrorIs(t, recv(t, ch, fmt.Sprint("queued Snapshot ", i)), store.ErrClosed)
				}
				require.Equal(t, 1, f.count())
				require.Zero(t, e.Stats().Snapshots)
				require.ErrorIs(t, e.Snapshot(bg), store.ErrClosed)
				require.Equal(t, 1, fs.closeCount())
				fs.check(t)
			})
		})
	}
}

// TestSnapshotCallerGivesUp checks that a caller whose context ends while
// its save runs gets ctx's error, and that the save goes on.
func TestSnapshotCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newAutoSink()
		f := newFakeSnaps(true)
		e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		ctx, cancel := context.WithCancel(context.Background())
		done := async(func() error { return e.Snapshot(ctx) })
		c := recv(t, f.entered, "the save")
		cancel()
		require.ErrorIs(t, recv(t, done, "Snapshot"), context.Canceled)
		c.proceed <- nil
		synctest.Wait()
		require.True(t, c.status().committed)
		require.Equal(t, uint64(1), e.Stats().Snapshots)
		require.NoError(t, e.Close())
	})
}

// TestSnapshotWithoutSnapshots checks the cases where Snapshot has nothing
// to do or cannot do it.
func TestSnapshotWithoutSnapshots(t *testing.T) {
	ctx := context.Background()
	t.Run("none set", func(t *testing.T) {
		s := newAutoSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{})
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		require.NoError(t, e.Snapshot(ctx))
		require.Zero(t, e.Stats().Snapshots)
		require.NoError(t, e.Close())
		s.check(t)
		for _, b := range s.recorded() {
			require.False(t, b.Rotate)
		}
	})
	t.Run("memory only", func(t *testing.T) {
		f := newFakeSnaps(false)
		e := startSnapEngine(store.NewKV(0), nil, f, store.SnapshotPolicy{Threshold: 1}, actor.Options{})
		f.written.Store(100)
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		require.NoError(t, e.Snapshot(ctx))
		require.NoError(t, e.Close())
		require.Zero(t, f.count())
	})
	t.Run("not snapshottable", func(t *testing.T) {
		s := newAutoSink()
		f := newFakeSnaps(false)
		e := store.New[store.Command, store.Query, store.Result](plainMachine{store.NewKV(0)}, store.DecodeCommand, 0)
		e.SetSnapshots(f, store.SnapshotPolicy{})
		e.Start(s, actor.Options{})
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		require.ErrorIs(t, e.Snapshot(ctx), store.ErrNotSnapshottable)
		require.NoError(t, e.Close())
		require.Zero(t, f.count())
	})
}

// TestExec checks Exec: what fn returns is journaled as one entry at the
// next LSN and answered at the given level; nil data or an error journal
// nothing and answer at once (nil data at AckSynced once the state it read
// is durable).
func TestExec(t *testing.T) {
	for _, level := range levels {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := newFakeSink()
				kv := store.NewKV(0)
				e := startSnapEngine(kv, s, nil, store.SnapshotPolicy{}, actor.Options{})
				mustUpdate(t, e, set("a", "1"), store.AckApplied)
				s.next(t)

				data := mustEncode(set("x", "from exec"))
				done := async(func() error {
					return e.Exec(ctx, func() ([]byte, error) {
						_, _, err := kv.Apply(set("x", "from exec"))
						return data, err
					}, level)
				})
				b := s.next(t)
				require.Equal(t, []handoff.Entry{{LSN: 2, Data: data}}, b.Entries)
				v, ok := get(t, e, "x")
				require.True(t, ok)
				require.Equal(t, "from exec", v)
				switch level {
				case store.AckApplied:
					require.Empty(t, b.AfterWrite)
					require.Empty(t, b.AfterSync)
				case store.AckWritten:
					require.Len(t, b.AfterWrite, 1)
					synctest.Wait()
					requireNotReady(t, done, "Exec before the write")
					s.settleWrite(b, nil)
				case store.AckSynced:
					require.Len(t, b.AfterSync, 1)
					s.settleWrite(b, nil)
					synctest.Wait()
					requireNotReady(t, done, "Exec before the sync")
					s.settleSync(b, nil)
				}
				require.NoError(t, recv(t, done, "Exec"))

				// An error: nothing journaled, nothing changed.
				ran := false
				err := e.Exec(ctx, func() ([]byte, error) { ran = true; return nil, errBoom }, level)
				require.ErrorIs(t, err, errBoom)
				require.True(t, ran)
				// Nil data journals nothing: answered at once, except at
				// AckSynced, where it waits until the state it read is
				// durable (TestEngineNoopWaitsForSync).
				if level != store.AckSynced {
					require.NoError(t, e.Exec(ctx, func() ([]byte, error) { return nil, nil }, level))
					synctest.Wait()
					require.Empty(t, s.appended, "nothing journaled")
				} else {
					done := async(func() error { return e.Exec(ctx, func() ([]byte, error) { return nil, nil }, level) })
					b := s.next(t)
					require.Empty(t, b.Entries, "nothing journaled")
					require.Len(t, b.AfterSync, 1)
					synctest.Wait()
					requireNotReady(t, done, "Exec of nil data before the sync")
					s.settleSync(b, nil)
					require.NoError(t, recv(t, done, "Exec of nil data"))
				}

				// The next write takes the next LSN.
				mustUpdate(t, e, set("y", "1"), store.AckApplied)
				b = s.next(t)
				require.Len(t, b.Entries, 1)
				require.Equal(t, uint64(3), b.Entries[0].LSN)
				require.Equal(t, map[string]string{"a": "1", "x": "from exec", "y": "1"}, engineState(t, e))
				require.NoError(t, e.Close())
				s.check(t)
				require.Equal(t, map[string]string{"a": "1", "x": "from exec", "y": "1"}, engineStateAfterReplay(t, s.entries()))
			})
		})
	}
}

// TestExecMemory checks Exec without a sink: fn runs and is answered at
// once, at every level.
func TestExecMemory(t *testing.T) {
	kv := store.NewKV(0)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	defer func() { require.NoError(t, e.Close()) }()
	for _, level := range levels {
		err := e.Exec(t.Context(), func() ([]byte, error) {
			_, _, err := kv.Apply(set(fmt.Sprint(level), "1"))
			return []byte{1}, err
		}, level)
		require.NoError(t, err)
	}
	require.Len(t, engineState(t, e), 3)
}

// TestReadAfterSinkFailed checks that Read keeps working once the sink has
// failed, while Exec and Update return the sink's error without running.
func TestReadAfterSinkFailed(t *testing.T) {
	ctx := context.Background()
	s := newAutoSink()
	kv := store.NewKV(0)
	e := startSnapEngine(kv, s, nil, store.SnapshotPolicy{}, actor.Options{})
	mustUpdate(t, e, set("a", "1"), store.AckSynced)
	s.fail(errBoom)
	require.ErrorIs(t, s.Err(), errBoom)

	var seen store.Result
	require.NoError(t, e.Read(ctx, func() { seen = kv.Query(store.Query{Op: store.QueryGet, Key: "a"}) }))
	require.True(t, seen.Found)
	require.Equal(t, "1", string(seen.Value))

	ran := false
	err := e.Exec(ctx, func() ([]byte, error) {
		ran = true
		_, _, err := kv.Apply(set("a", "2"))
		return mustEncode(set("a", "2")), err
	}, store.AckApplied)
	require.ErrorIs(t, err, errBoom)
	require.False(t, ran, "Exec must not run fn once the sink failed")
	_, err = update(ctx, e, set("a", "3"), store.AckApplied)
	require.ErrorIs(t, err, errBoom)
	v, ok := get(t, e, "a")
	require.True(t, ok)
	require.Equal(t, "1", v)

	require.NoError(t, e.Close())
	require.ErrorIs(t, e.Read(ctx, func() { t.Error("Read ran after Close") }), store.ErrClosed)
	require.ErrorIs(t, e.Exec(ctx, func() ([]byte, error) { t.Error("Exec ran after Close"); return nil, nil }, store.AckApplied), store.ErrClosed)
	require.Len(t, s.entries(), 1)
}

// TestSnapshotStatsPause checks that the owner's time spent on images is
// measured. It runs in real time: in a synctest bubble no time passes.
func TestSnapshotStatsPause(t *testing.T) {
	ctx := context.Background()
	s := newAutoSink()
	f := newFakeSnaps(false)
	e := startSnapEngine(store.NewKV(0), s, f, store.SnapshotPolicy{}, actor.Options{})
	require.Zero(t, e.Stats().MaxPause)
	ms := make([]store.Mutation, 20000)
	for i := range ms {
		ms[i] = mset(fmt.Sprint("k", i), "v")
	}
	mustUpdate(t, e, bat(ms...), store.AckApplied)
	require.NoError(t, e.Snapshot(ctx))
	st := e.Stats()
	require.Equal(t, uint64(1), st.Snapshots)
	require.Positive(t, st.MaxPause)
	require.NoError(t, e.Close())
}

// bigOverlay starts a held snapshot, then writes enough to make an overlay
// of several fold steps, and returns the held save and the expected state.
func bigOverlay(t *testing.T, e *kvEngine, kv *store.KV, f *fakeSnaps) (*saveCall, <-chan error, map[string]string) {
	t.Helper()
	model := make(map[string]string)
	ms := make([]store.Mutation, 100)
	for i := range ms {
		ms[i] = mset(fmt.Sprint("base", i), "0")
		model[fmt.Sprint("base", i)] = "0"
	}
	mustUpdate(t, e, bat(ms...), store.AckApplied)
	done := async(func() error { return e.Snapshot(context.Background()) })
	c := recv(t, f.entered, "the save")

	const n = 3*store.FoldStep + 10
	ms = make([]store.Mutation, 0, n+50)
	for i := range n {
		k := fmt.Sprint("new", i)
		ms = append(ms, mset(k, "1"))
		model[k] = "1"
	}
	for i := range 50 {
		k := fmt.Sprint("base", i)
		ms = append(ms, mdel(k))
		delete(model, k)
	}
	mustUpdate(t, e, bat(ms...), store.AckApplied)
	var ovl int
	for range 3 { // the owner does not fold while the image is open
		require.NoError(t, e.Read(context.Background(), func() { ovl = store.OverlayLen(kv) }))
		require.Equal(t, n+50, ovl)
	}
	return c, done, model
}

// TestFoldWithoutTraffic checks that once a save ends and its image is
// released, the owner folds the whole overlay back on its own, waking
// itself up, with no request from outside.
func TestFoldWithoutTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newAutoSink()
		f := newFakeSnaps(true)
		kv := store.NewKV(0)
		e := startSnapEngine(kv, s, f, store.SnapshotPolicy{}, actor.Options{})
		c, done, model := bigOverlay(t, e, kv, f)
		c.proceed <- nil
		require.NoError(t, recv(t, done, "Snapshot"))
		synctest.Wait() // every goroutine is idle: the owner has stopped folding
		var ovl, shared int
		var has bool
		require.NoError(t, e.Read(context.Background(), func() {
			ovl, has, shared = store.OverlayLen(kv), store.HasOverlay(kv), store.SharedImages(kv)
		}))
		require.Zero(t, ovl)
		// The reads above came to the owner, so once it had folded it
		// published an image for lock-free reads (publish.go), which keeps
		// an empty overlay: nothing else may.
		require.False(t, has && shared != 1, "overlay left with %d images open", shared)
		require.Equal(t, model, engineState(t, e))
		require.NoError(t, e.Close())
	})
}

// TestFoldProgressPolled is the real-time version: after the save, a
// bounded number of reads (each a round trip through the owner) sees the
// overlay shrink to nothing.
func TestFoldProgressPolled(t *testing.T) {
	s := newAutoSink()
	f := newFakeSnaps(true)
	kv := store.NewKV(0)
	e := startSnapEngine(kv, s, f, store.SnapshotPolicy{}, actor.Options{})
	c, done, model := bigOverlay(t, e, kv, f)
	c.proceed <- nil
	require.NoError(t, recv(t, done, "Snapshot"))
	ovl, polls := -1, 0
	for ; polls < 100_000 && ovl != 0; polls++ {
		require.NoError(t, e.Read(context.Background(), func() { ovl = store.OverlayLen(kv) }))
	}
	require.Zero(t, ovl, "still %d entries after %d reads", ovl, polls)
	require.Equal(t, model, engineState(t, e))
	require.Positive(t, e.Stats().MaxPause)
	require.NoError(t, e.Close())
}
