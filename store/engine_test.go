package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

var levels = []store.Level{store.AckApplied, store.AckWritten, store.AckSynced}

// TestEngineMemory runs every op at every level on an engine without a sink:
// each answers at once with the machine's result.
func TestEngineMemory(t *testing.T) {
	ctx := context.Background()
	for _, level := range levels {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			e := startMem(t, actor.Options{})
			steps := []struct {
				cmd     store.Command
				want    store.Result
				wantErr bool
				after   map[string]string
			}{
				{cmd: set("a", "1"), after: map[string]string{"a": "1"}},
				{cmd: set("\xff\xfe", "2"), after: map[string]string{"a": "1", "\xff\xfe": "2"}},
				{cmd: del("missing"), after: map[string]string{"a": "1", "\xff\xfe": "2"}},
				{cmd: del("a"), want: store.Result{Found: true}, after: map[string]string{"\xff\xfe": "2"}},
				{cmd: bat(mset("b", "3"), mdel("\xff\xfe")), after: map[string]string{"b": "3"}},
				{cmd: bat(mset("c", "4"), store.Mutation{Op: 42}), wantErr: true, after: map[string]string{"b": "3"}},
				{cmd: store.Command{Op: 42}, wantErr: true, after: map[string]string{"b": "3"}},
				{cmd: clr(), after: map[string]string{}},
				{cmd: clr(), after: map[string]string{}},
			}
			for i, st := range steps {
				r, err := update(ctx, e, st.cmd, level)
				if st.wantErr {
					require.Error(t, err, "step %d", i)
				} else {
					require.NoError(t, err, "step %d", i)
					require.Equal(t, st.want, r, "step %d", i)
				}
				require.Equal(t, st.after, engineState(t, e), "step %d", i)
				require.NoError(t, e.Sync(ctx))
			}
		})
	}
}

// TestEngineMemoryNilData checks that a memory engine never needs the
// encoding.
func TestEngineMemoryNilData(t *testing.T) {
	e := startMem(t, actor.Options{})
	_, err := e.Update(context.Background(), set("a", "1"), nil, store.AckSynced)
	require.NoError(t, err)
	v, ok := get(t, e, "a")
	require.True(t, ok)
	require.Equal(t, "1", v)
}

// TestEngineLSN checks that every command that changed the state is handed
// to the sink with the next LSN and its encoding as given, and that no-ops
// and rejected commands are not.
func TestEngineLSN(t *testing.T) {
	ctx := context.Background()
	steps := []struct {
		cmd     store.Command
		changed bool
		wantErr bool
	}{
		{cmd: set("a", "1"), changed: true},
		{cmd: set("b", "2"), changed: true},
		{cmd: del("missing")},
		{cmd: set("a", "1"), changed: true}, // same value still journaled
		{cmd: bat()},
		{cmd: bat(mset("x", "1"), store.Mutation{Op: 99}), wantErr: true},
		{cmd: store.Command{Op: 99}, wantErr: true},
		{cmd: del("a"), changed: true},
		{cmd: bat(mset("\xff\xfe", "3"), mdel("b")), changed: true},
		{cmd: clr(), changed: true},
		{cmd: clr()},
		{cmd: del("b")},
		{cmd: set("z", ""), changed: true},
	}
	for _, level := range levels {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			s := newAutoSink()
			e := newKVEngine(0)
			e.Start(s, actor.Options{})
			var want []handoff.Entry
			for i, st := range steps {
				data := mustEncode(st.cmd)
				_, err := e.Update(ctx, st.cmd, data, level)
				if st.wantErr {
					require.Error(t, err, "step %d", i)
				} else {
					require.NoError(t, err, "step %d", i)
				}
				if st.changed {
					want = append(want, handoff.Entry{LSN: uint64(len(want) + 1), Data: data})
				}
			}
			require.NoError(t, e.Close())
			s.check(t)
			require.Equal(t, want, s.entries())
		})
	}
}

// TestEngineLSNAfterReplay checks that live LSNs continue where the replayed
// (or given) state left off.
func TestEngineLSNAfterReplay(t *testing.T) {
	ctx := context.Background()
	e := newKVEngine(10)
	require.NoError(t, e.Replay(handoff.Entry{LSN: 11, Data: mustEncode(set("a", "1"))}))
	require.NoError(t, e.Replay(handoff.Entry{LSN: 12, Data: mustEncode(set("b", "2"))}))
	require.Equal(t, uint64(12), e.LastLSN())
	s := newAutoSink()
	e.Start(s, actor.Options{})
	_, err := update(ctx, e, del("a"), store.AckSynced)
	require.NoError(t, err)
	_, err = update(ctx, e, set("c", "3"), store.AckSynced)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"b": "2", "c": "3"}, engineState(t, e))
	require.NoError(t, e.Close())
	s.check(t)
	en := s.entries()
	require.Len(t, en, 2)
	requireContiguous(t, en, 13)
}

// TestEngineAckLevels checks when each level answers: AckApplied at once,
// even while the sink is stuck; AckWritten when the sink settles AfterWrite;
// AckSynced when it settles AfterSync. The settling error is what the
// caller gets.
func TestEngineAckLevels(t *testing.T) {
	tests := []struct {
		name      string
		level     store.Level
		settleErr error
	}{
		{"written", store.AckWritten, nil},
		{"synced", store.AckSynced, nil},
		{"written error", store.AckWritten, errBoom},
		{"synced error", store.AckSynced, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := newFakeSink()
				e := newKVEngine(0)
				e.Start(s, actor.Options{})

				// AckApplied answers while its batch is held in Append.
				g := s.gateNext()
				_, err := update(ctx, e, set("a", "1"), store.AckApplied)
				require.NoError(t, err)
				recv(t, g.entered, "Append to be entered")
				close(g.release)
				b := s.next(t)
				require.Len(t, b.Entries, 1)
				require.Empty(t, b.AfterWrite)
				require.Empty(t, b.AfterSync)

				done := async(func() error {
					_, err := update(ctx, e, set("b", "2"), tt.level)
					return err
				})
				b = s.next(t)
				require.Len(t, b.Entries, 1)
				require.Equal(t, uint64(2), b.Entries[0].LSN)
				if tt.level == store.AckWritten {
					require.Len(t, b.AfterWrite, 1)
					require.Empty(t, b.AfterSync)
				} else {
					require.Empty(t, b.AfterWrite)
					require.Len(t, b.AfterSync, 1)
				}
				// Applied, visible, but not yet answered.
				v, ok := get(t, e, "b")
				require.True(t, ok)
				require.Equal(t, "2", v)
				synctest.Wait()
				requireNotReady(t, done, "update before its level was settled")

				if tt.level == store.AckSynced {
					s.settleWrite(b, tt.settleErr)
					synctest.Wait()
					requireNotReady(t, done, "AckSynced update after write only")
					s.settleSync(b, tt.settleErr)
				} else {
					s.settleSync(b, tt.settleErr)
					synctest.Wait()
					requireNotReady(t, done, "AckWritten update after sync list only")
					s.settleWrite(b, tt.settleErr)
				}
				err = recv(t, done, "the update to answer")
				if tt.settleErr != nil {
					require.ErrorIs(t, err, tt.settleErr)
				} else {
					require.NoError(t, err)
				}

				require.NoError(t, e.Close())
				s.check(t)
			})
		})
	}
}

// TestEngineNoopAnswersAtOnce checks that a command that changes nothing is
// answered at once at AckApplied and AckWritten and never reaches the sink,
// and that an invalid command is answered at once at every level. (At
// AckSynced a command that changes nothing waits until what it read is
// durable: TestEngineNoopWaitsForSync.)
func TestEngineNoopAnswersAtOnce(t *testing.T) {
	ctx := context.Background()
	s := newFakeSink()
	e := newKVEngine(0)
	e.Start(s, actor.Options{})
	for _, level := range levels {
		// Each would hang if it waited for the sink, which never settles.
		for _, c := range []store.Command{del("a"), clr(), bat(), {Op: store.OpBatch, Batch: []store.Mutation{}}} {
			if level == store.AckSynced {
				break
			}
			_, err := update(ctx, e, c, level)
			require.NoError(t, err)
		}
		for _, c := range []store.Command{bat(mset("a", "1"), store.Mutation{Op: 0}), {Op: 0}} {
			_, err := update(ctx, e, c, level)
			require.Error(t, err)
		}
	}
	r, err := e.Query(ctx, store.Query{Op: store.QueryLen})
	require.NoError(t, err)
	require.Zero(t, r.N)
	require.NoError(t, e.Close())
	s.check(t)
	require.Empty(t, s.recorded())
}

// TestEngineNoopWaitsForSync checks that at AckSynced a mutation that changes
// nothing answers only once the state it read is durable: here a write
// applied before it and not yet synced, which a crash could lose, and with
// it the reason for the answer ("present", "not swapped"). It joins the
// sink's next sync with no entry of its own, and a failed sync is its
// error. At AckWritten the same calls answer at once and give the sink
// nothing.
func TestEngineNoopWaitsForSync(t *testing.T) {
	type call func(ctx context.Context, e *kvEngine, kv *store.KV, level store.Level) (store.Result, error)
	updating := func(c store.Command) call {
		return func(ctx context.Context, e *kvEngine, _ *store.KV, level store.Level) (store.Result, error) {
			return update(ctx, e, c, level)
		}
	}
	noops := []struct {
		name string
		call call
	}{
		{"set if absent finds the key", updating(setAbsent("a", "x"))},
		{"delete of a missing key", updating(del("missing"))},
		{"compare-and-swap that does not swap", updating(cas("a", "wrong", "x"))},
		{"exec that only reads", func(ctx context.Context, e *kvEngine, kv *store.KV, level store.Level) (store.Result, error) {
			return store.Result{}, e.Exec(ctx, func() ([]byte, error) {
				if _, ok := kv.Get("a"); !ok {
					return nil, errors.New("the write before is not visible")
				}
				return nil, nil
			}, level)
		}},
	}
	for _, tt := range noops {
		for _, syncErr := range []error{nil, errBoom} {
			t.Run(fmt.Sprint(tt.name, "/", syncErr), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := context.Background()
					s := newFakeSink()
					kv := store.NewKV(0)
					e := startSnapEngine(kv, s, nil, store.SnapshotPolicy{}, actor.Options{})
					// A write that is applied, and visible, but not durable.
					mustUpdate(t, e, set("a", "1"), store.AckApplied)
					w := s.next(t)

					r, err := tt.call(ctx, e, kv, store.AckWritten)
					require.NoError(t, err, "AckWritten answers at once")
					require.Equal(t, store.Result{}, r)
					synctest.Wait()
					require.Empty(t, s.appended, "nothing for the sink at AckWritten")

					type answer struct {
						r   store.Result
						err error
					}
					done := async(func() answer {
						r, err := tt.call(ctx, e, kv, store.AckSynced)
						return answer{r, err}
					})
					b := s.next(t)
					require.Empty(t, b.Entries, "a mutation that changes nothing journals nothing")
					require.Empty(t, b.AfterWrite)
					require.Len(t, b.AfterSync, 1)
					s.settleWrite(w, nil)
					s.settleWrite(b, nil)
					synctest.Wait()
					requireNotReady(t, done, "the answer before the sync")
					s.settleSync(w, syncErr)
					s.settleSync(b, syncErr)
					a := recv(t, done, "the answer after the sync")
					require.ErrorIs(t, a.err, syncErr)
					if syncErr == nil {
						require.NoError(t, a.err)
					}
					require.Equal(t, store.Result{}, a.r)

					require.Equal(t, map[string]string{"a": "1"}, engineState(t, e))
					require.NoError(t, e.Close())
					s.check(t)
					require.Len(t, s.entries(), 1, "only the write is journaled")
				})
			})
		}
	}
}

// TestEngineSync checks that Sync waits for AfterSync and nothing else.
func TestEngineSync(t *testing.T) {
	for _, settleErr := range []error{nil, errBoom} {
		t.Run(fmt.Sprint(settleErr), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newFakeSink()
				e := newKVEngine(0)
				e.Start(s, actor.Options{})
				done := async(func() error { return e.Sync(context.Background()) })
				b := s.next(t)
				require.Empty(t, b.Entries)
				require.Empty(t, b.AfterWrite)
				require.Len(t, b.AfterSync, 1)
				s.settleWrite(b, nil)
				synctest.Wait()
				requireNotReady(t, done, "Sync before AfterSync")
				s.settleSync(b, settleErr)
				err := recv(t, done, "Sync to answer")
				if settleErr != nil {
					require.ErrorIs(t, err, settleErr)
				} else {
					require.NoError(t, err)
				}
				require.NoError(t, e.Close())
				s.check(t)
			})
		})
	}
}

// TestEngineBatchesDrainedRequests queues many updates while the owner is
// stuck in Append, then checks they reach the sink in batches of MaxDrain,
// with contiguous LSNs, one Append per drained batch.
func TestEngineBatchesDrainedRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		const n, maxDrain = 20, 8
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{Mailbox: 64, MaxDrain: maxDrain})

		g := s.gateNext()
		_, err := update(ctx, e, set("first", "0"), store.AckApplied)
		require.NoError(t, err)
		recv(t, g.entered, "Append to be entered")

		results := make([]<-chan error, n)
		for i := range n {
			results[i] = async(func() error {
				_, err := update(ctx, e, set(fmt.Sprint("k", i), fmt.Sprint(i)), store.AckWritten)
				return err
			})
		}
		synctest.Wait() // all n are in the mailbox
		close(g.release)

		sizes := []int{len(s.next(t).Entries)}
		for total := 0; total < n; {
			b := s.next(t)
			require.Len(t, b.AfterWrite, len(b.Entries))
			s.settleWrite(b, nil)
			sizes = append(sizes, len(b.Entries))
			total += len(b.Entries)
		}
		for i, ch := range results {
			require.NoError(t, recv(t, ch, fmt.Sprint("update ", i)))
		}
		require.Equal(t, []int{1, 8, 8, 4}, sizes)
		require.NoError(t, e.Close())
		s.check(t)
		en := s.entries()
		require.Len(t, en, n+1)
		requireContiguous(t, en, 1)
		require.Len(t, engineStateAfterReplay(t, en), n+1)
	})
}

// engineStateAfterReplay replays entries into a fresh engine and returns its
// state.
func engineStateAfterReplay(t *testing.T, entries []handoff.Entry) map[string]string {
	t.Helper()
	e := newKVEngine(0)
	for _, en := range entries {
		require.NoError(t, e.Replay(en))
	}
	require.Equal(t, uint64(len(entries)), e.LastLSN())
	e.Start(nil, actor.Options{})
	defer func() { require.NoError(t, e.Close()) }()
	return engineState(t, e)
}

// TestEngineSinkFailed checks that a failed sink refuses every update with
// its error and applies nothing, while queries keep working.
func TestEngineSinkFailed(t *testing.T) {
	ctx := context.Background()
	cmds := []store.Command{set("a", "2"), set("new", "1"), del("a"), del("missing"), clr(), bat(mset("b", "1"))}
	for _, level := range levels {
		t.Run(fmt.Sprint("level", level), func(t *testing.T) {
			s := newAutoSink()
			e := newKVEngine(0)
			e.Start(s, actor.Options{})
			_, err := update(ctx, e, set("a", "1"), store.AckSynced)
			require.NoError(t, err)

			failure := fmt.Errorf("disk on fire: %w", errBoom)
			s.fail(failure)
			for _, c := range cmds {
				_, err := update(ctx, e, c, level)
				require.ErrorIs(t, err, errBoom, "%+v", c)
			}
			require.ErrorIs(t, e.Sync(ctx), errBoom)
			require.Equal(t, map[string]string{"a": "1"}, engineState(t, e))

			require.NoError(t, e.Close())
			s.check(t)
			require.Len(t, s.entries(), 1)
		})
	}
}

// TestEngineAppendFails checks that when Append itself fails, the waiters
// of that batch get its error.
func TestEngineAppendFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{})
		g := s.gateNext()
		written := async(func() error { _, err := update(ctx, e, set("a", "1"), store.AckWritten); return err })
		recv(t, g.entered, "Append to be entered")
		synced := async(func() error { _, err := update(ctx, e, set("b", "1"), store.AckSynced); return err })
		synctest.Wait()
		s.fail(errBoom) // the sink fails while it holds the first batch
		close(g.release)
		require.ErrorIs(t, recv(t, written, "AckWritten update"), errBoom)
		require.ErrorIs(t, recv(t, synced, "AckSynced update"), errBoom)
		_, err := update(ctx, e, set("c", "1"), store.AckApplied)
		require.ErrorIs(t, err, errBoom)
		_, found := get(t, e, "b")
		require.False(t, found, "refused by the failed sink")
		require.NoError(t, e.Close())
		s.check(t)
		require.Empty(t, s.recorded())
	})
}

func TestEngineReplay(t *testing.T) {
	e := newKVEngine(0)
	require.Zero(t, e.LastLSN())
	entry := func(lsn uint64, c store.Command) handoff.Entry {
		return handoff.Entry{LSN: lsn, Data: mustEncode(c)}
	}

	require.NoError(t, e.Replay(entry(1, set("a", "1"))))
	require.NoError(t, e.Replay(entry(2, set("\xff\xfe", "2"))))
	require.NoError(t, e.Replay(entry(3, bat(mset("b", "3"), mdel("a")))))
	require.Equal(t, uint64(3), e.LastLSN())

	rejects := []struct {
		name  string
		entry handoff.Entry
		want  error
	}{
		{"gap", entry(5, set("x", "1")), store.ErrLSNGap},
		{"repeat", entry(3, set("x", "1")), store.ErrLSNGap},
		{"zero", entry(0, set("x", "1")), store.ErrLSNGap},
		{"garbage", handoff.Entry{LSN: 4, Data: []byte{0xde, 0xad}}, store.ErrBadEntry},
		{"empty data", handoff.Entry{LSN: 4}, store.ErrBadEntry},
		{"unknown op", entry(4, store.Command{Op: 77}), store.ErrBadEntry},
		{"rejected by machine", entry(4, bat(mset("x", "1"), store.Mutation{Op: store.OpClear})), store.ErrBadEntry},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			err := e.Replay(tt.entry)
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, uint64(3), e.LastLSN(), "a rejected entry does not advance")
		})
	}

	require.NoError(t, e.Replay(entry(4, set("c", "4"))))
	require.Equal(t, uint64(4), e.LastLSN())
	e.Start(nil, actor.Options{})
	defer func() { require.NoError(t, e.Close()) }()
	require.Equal(t, map[string]string{"\xff\xfe": "2", "b": "3", "c": "4"}, engineState(t, e))
}

func TestEngineReplayFromLast(t *testing.T) {
	e := newKVEngine(41)
	require.Equal(t, uint64(41), e.LastLSN())
	require.ErrorIs(t, e.Replay(handoff.Entry{LSN: 1, Data: mustEncode(set("a", "1"))}), store.ErrLSNGap)
	require.NoError(t, e.Replay(handoff.Entry{LSN: 42, Data: mustEncode(set("a", "1"))}))
	require.Equal(t, uint64(42), e.LastLSN())
}

// TestEngineUpdateResult checks that Update returns the machine's result at
// every level, also when it waits for the sink.
func TestEngineUpdateResult(t *testing.T) {
	ctx := context.Background()
	s := newAutoSink()
	e := newKVEngine(0)
	e.Start(s, actor.Options{})
	for _, level := range levels {
		_, err := update(ctx, e, set("a", "1"), level)
		require.NoError(t, err)
		r, err := update(ctx, e, del("a"), level)
		require.NoError(t, err)
		require.True(t, r.Found)
		r, err = update(ctx, e, del("a"), level)
		require.NoError(t, err)
		require.False(t, r.Found)
	}
	r, err := e.Query(ctx, store.Query{Op: store.QueryKeys})
	require.NoError(t, err)
	require.Empty(t, r.Keys)
	require.NoError(t, e.Close())
	s.check(t)
	requireContiguous(t, s.entries(), 1)
	require.Len(t, s.entries(), 6)
}

// TestErrorsDistinct guards the sentinel errors against accidental aliasing.
func TestErrorsDistinct(t *testing.T) {
	errs := []error{store.ErrClosed, store.ErrBadEntry, store.ErrLSNGap}
	for i, a := range errs {
		for j, b := range errs {
			require.Equal(t, i == j, errors.Is(a, b))
		}
	}
}

// TestCanceledWaitsForTakenFunction checks that a Read or an Exec whose
// context ends while the owner runs its function returns only once the
// function is done, so the function never touches the caller's memory
// after the caller has its error.
func TestCanceledWaitsForTakenFunction(t *testing.T) {
	for _, kind := range []string{"read", "exec"} {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := startMem(t, actor.Options{})
				ctx, cancel := context.WithCancel(context.Background())
				running, release := make(chan struct{}), make(chan struct{})
				finished := false // written by the function, read by the caller after the call
				fn := func() {
					close(running)
					<-release
					finished = true
				}
				res := async(func() error {
					if kind == "read" {
						return e.Read(ctx, fn)
					}
					return e.Exec(ctx, func() ([]byte, error) { fn(); return nil, nil }, store.AckApplied)
				})
				<-running
				cancel()
				synctest.Wait() // the caller has run as far as it can
				requireNotReady(t, res, "the call while its function runs")
				close(release)
				require.ErrorIs(t, <-res, context.Canceled)
				require.True(t, finished)
			})
		})
	}
}
