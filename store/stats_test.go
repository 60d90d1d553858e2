package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// ownerStats reads e's stats from the owner goroutine, in a Read: what the
// owner published by the end of the turn before, which holds every request
// answered before ownerStats was called, and not the Read itself.
func ownerStats(t *testing.T, e *kvEngine) store.Stats {
	t.Helper()
	var st store.Stats
	require.NoError(t, e.Read(context.Background(), func() { st = e.Stats() }))
	return st
}

// TestStatsOps checks that the owner counts each request by kind, the key-
// value machine sorting its commands and queries, and that AppliedLSN is
// the last LSN stamped.
func TestStatsOps(t *testing.T) {
	ctx := context.Background()
	s := newAutoSink()
	e := newKVEngine(0)
	e.Start(s, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })

	require.Equal(t, store.Ops{}, ownerStats(t, e).Ops)
	for _, c := range []store.Command{
		set("a", "1"), set("b", "2"), set("c", "3"), del("a"), del("zz"), // a delete of nothing counts too
		bat(mset("d", "4")), {Op: store.OpCAS, Key: "b", Value: []byte("5"), Old: []byte("2")},
		{Op: store.OpSetAbsent, Key: "b", Value: []byte("6")}, clr(),
	} {
		_, err := update(ctx, e, c, store.AckWritten)
		require.NoError(t, err)
	}
	get(t, e, "b")
	get(t, e, "x")
	_, err := e.Query(ctx, store.Query{Op: store.QueryLen})
	require.NoError(t, err)
	require.NoError(t, e.Exec(ctx, func() ([]byte, error) { return mustEncode(set("t", "1")), nil }, store.AckWritten))
	require.NoError(t, e.Exec(ctx, func() ([]byte, error) { return nil, nil }, store.AckWritten))
	require.NoError(t, e.Sync(ctx))
	require.NoError(t, e.Read(ctx, func() {}))

	want := store.Ops{}
	want[store.KindSet] = 3
	want[store.KindDelete] = 2
	want[store.KindBatch] = 1
	want[store.KindCAS] = 2
	want[store.KindClear] = 1
	want[store.KindGet] = 2
	want[store.KindQuery] = 1
	want[store.KindTx] = 2
	want[store.KindSync] = 1
	want[store.KindRead] = 2 // and the first ownerStats
	st := ownerStats(t, e)
	require.Equal(t, want, st.Ops)
	// Journaled: 3 sets, 1 delete, the batch, the CAS, the clear, the Tx
	// that wrote.
	require.EqualValues(t, 8, st.AppliedLSN)
	require.True(t, st.Sized, "a KV reports its size")
}

// countingSizer is a key-value machine that reports its size, counting the
// calls: the key count, and ten bytes a key.
type countingSizer struct {
	*store.KV
	calls atomic.Int64
}

func (m *countingSizer) StoredSize() (int, int64) {
	m.calls.Add(1)
	n := m.KV.Query(store.Query{Op: store.QueryLen}).N
	return n, int64(10 * n)
}

// TestStatsSize checks that a machine's size is published after Replay
// and after each turn, however the state changed.
func TestStatsSize(t *testing.T) {
	ctx := context.Background()
	m := &countingSizer{KV: store.NewKV(0)}
	e := store.New[store.Command, store.Query, store.Result](m, store.DecodeCommand, 0)
	require.NoError(t, e.Replay(handoff.Entry{LSN: 1, Data: mustEncode(set("r", "1"))}))
	e.Start(nil, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })

	st := ownerStats(t, e)
	require.True(t, st.Sized)
	require.Equal(t, 1, st.Keys)
	require.EqualValues(t, 10, st.Bytes)
	require.EqualValues(t, 1, st.AppliedLSN)

	for _, k := range []string{"a", "b", "c"} {
		_, err := update(ctx, e, set(k, "v"), store.AckApplied)
		require.NoError(t, err)
	}
	st = ownerStats(t, e)
	require.Equal(t, 4, st.Keys)
	require.EqualValues(t, 40, st.Bytes)
	require.Equal(t, uint64(3), st.Ops[store.KindSet], "the classifier of the embedded KV is used")

	// A change that no request counts (the machine's own work, as
	// expiry): the next turn publishes it.
	require.NoError(t, e.Read(ctx, func() { m.KV.Apply(set("own", "v")) }))
	st = ownerStats(t, e)
	require.Equal(t, 5, st.Keys)
	require.EqualValues(t, 50, st.Bytes)
	require.Positive(t, m.calls.Load())
}

// syncedSink is a fakeSink that reports a synced LSN.
type syncedSink struct {
	*fakeSink
	synced atomic.Uint64
}

func (s *syncedSink) SyncedLSN() uint64 { return s.synced.Load() }

// TestStatsSink checks that Stats reports the sink's synced LSN, when it
// has one, and its sticky failure as ReadOnly, without asking the owner.
func TestStatsSink(t *testing.T) {
	ctx := context.Background()
	s := &syncedSink{fakeSink: newAutoSink()}
	e := newKVEngine(0)
	e.Start(s, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })
	for _, k := range []string{"a", "b"} {
		_, err := update(ctx, e, set(k, "v"), store.AckWritten)
		require.NoError(t, err)
	}
	s.synced.Store(1)
	st := ownerStats(t, e)
	require.True(t, st.SyncedKnown)
	require.EqualValues(t, 1, st.SyncedLSN)
	require.EqualValues(t, 2, st.AppliedLSN)
	require.NoError(t, st.ReadOnly)

	s.fail(errBoom)
	require.ErrorIs(t, e.Stats().ReadOnly, errBoom)

	plain := startMem(t, actor.Options{})
	st = plain.Stats()
	require.False(t, st.SyncedKnown)
	require.NoError(t, st.ReadOnly)
}

// TestStatsMailbox holds the owner in a Read and checks that Stats, from
// another goroutine, counts the requests waiting behind it.
func TestStatsMailbox(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		e := newKVEngine(0)
		e.Start(nil, actor.Options{Mailbox: 8})
		release, entered := make(chan struct{}), make(chan struct{})
		held := async(func() error {
			return e.Read(ctx, func() { close(entered); <-release })
		})
		<-entered
		require.Equal(t, 0, e.Stats().Mailbox)
		require.Equal(t, 8, e.Stats().MailboxCap)
		var queued []<-chan error
		for range 3 {
			queued = append(queued, async(func() error { _, err := update(ctx, e, set("k", "v"), store.AckApplied); return err }))
		}
		synctest.Wait() // the three are in the mailbox
		require.Equal(t, 3, e.Stats().Mailbox)
		close(release)
		require.NoError(t, <-held)
		for _, q := range queued {
			require.NoError(t, <-q)
		}
		require.Equal(t, 0, e.Stats().Mailbox)
		require.NoError(t, e.Close())
	})
}
