package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// Writes on the leader reach every node, in one state; linearizable reads
// on the leader see them at once.
func TestReplicationReachesEveryNode(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	want := c.setKeys("k", 50)
	require.NoError(t, l.Delete(ctx, "k0"))
	delete(want, "k0")
	at := time.Now().Add(time.Hour)
	require.NoError(t, Set(ctx, l, "typed", []int{1, 2}, Deadline(at)))
	got, err := Get[[]int](ctx, l, "typed")
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, got)
	_, err = l.GetBytes(ctx, "k0")
	require.ErrorIs(t, err, hurrah.ErrNotFound)

	for _, f := range c.followers(l) {
		caughtUp(t, f, l.AppliedIndex())
		m := contents(t, f)
		delete(m, "typed")
		require.Equal(t, want, m, "node %s", f.ID())
		exp, err := f.db().ExpiresAt(ctx, "typed")
		require.NoError(t, err)
		require.True(t, exp.Equal(at), "the deadline replicates as data")
	}
}

// Concurrent writes on the leader share raft entries: 64 writers make
// at most one entry per 8 writes.
func TestConcurrentWritesShareEntries(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	before := l.Raft().LastIndex()
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := l.SetBytes(ctx, fmt.Sprintf("w%d-%d", w, i), []byte("x")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	entries := l.Raft().LastIndex() - before
	t.Logf("%d writes in %d raft entries", writers*each, entries)
	require.Len(t, contents(t, l), writers*each)
	// About 30-40 writes share an entry (-race, load 4, three copies of
	// the test at once, GOMAXPROCS 1 and 2: 24-40 entries in 60 runs).
	// The bound leaves room for four times that many entries, yet a
	// batcher that packs fewer than 8 writes an entry breaks it.
	require.LessOrEqual(t, entries, uint64(writers*each/8), "writes are not packed into shared entries")
}

// Calls waiting for a round join the open one, up to MaxBatchBytes: a
// round takes calls while it holds less, and the next call opens the next.
func TestJoinPacksWaitingCalls(t *testing.T) {
	n := &node{cfg: Config{MaxBatchBytes: 1000}}
	n.rounds.kick = make(chan struct{}, 1)
	for range 10 {
		n.join(make([]byte, 100), 1)
	}
	for range 9 {
		n.join(make([]byte, 300), 1)
	}
	require.Len(t, n.rounds.open, 4)
	for i, want := range []int{10, 4, 4, 1} { // 4 × 300 passes 1000
		r := n.rounds.take()
		require.Equal(t, want, r.items, "round %d", i)
	}
	require.Nil(t, n.rounds.take())
}

// A follower refuses writes and linearizable reads with the leader's
// address and proposes nothing; it answers stale reads from its store.
func TestFollowerNamesTheLeader(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "a", []byte("1")))
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	last := l.Raft().LastIndex()

	err := f.SetBytes(ctx, "b", []byte("2"))
	var nl *NotLeaderError
	require.ErrorAs(t, err, &nl)
	require.ErrorIs(t, err, ErrNotLeader)
	require.Equal(t, l.ID(), nl.LeaderID)
	require.Equal(t, l.Addr(), nl.LeaderAddr)
	require.ErrorIs(t, f.Delete(ctx, "a"), ErrNotLeader)
	_, err = f.GetBytes(ctx, "a")
	require.ErrorIs(t, err, ErrNotLeader)
	require.Equal(t, last, l.Raft().LastIndex(), "nothing was proposed")

	b, err := f.GetBytes(ctx, "a", Stale(0))
	require.NoError(t, err)
	require.Equal(t, "1", string(b))
	_, err = l.GetBytes(ctx, "b")
	require.ErrorIs(t, err, hurrah.ErrNotFound)
}

// Bad input is refused before it is proposed, with hurrah's errors.
func TestBadWritesProposeNothing(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	l := c.leader()
	// raft says a new leader leads before it appends its no-op entry:
	// a write committed first puts that entry behind the count.
	require.NoError(t, l.SetBytes(ctx, "first", []byte("x")))
	last := l.Raft().LastIndex()
	require.ErrorIs(t, l.SetBytes(ctx, "", []byte("x")), hurrah.ErrInvalidKey)
	require.ErrorIs(t, l.SetBytes(ctx, string(make([]byte, hurrah.DefaultMaxKeySize+1)), nil), hurrah.ErrTooLarge)
	require.ErrorIs(t, l.Delete(ctx, ""), hurrah.ErrInvalidKey)
	require.ErrorIs(t, l.SetBytes(ctx, "k", nil, Deadline(time.Time{})), hurrah.ErrInvalidExpiry)
	require.ErrorIs(t, Set(ctx, l, "k", make(chan int)), hurrah.ErrEncode)
	_, err := l.GetBytes(ctx, "")
	require.ErrorIs(t, err, hurrah.ErrInvalidKey)
	require.Equal(t, last, l.Raft().LastIndex())
}

// A follower cut off from the leader refuses a bounded stale read.
func TestStaleReadBound(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "a", []byte("1")))
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	_, err := f.GetBytes(ctx, "a", Stale(time.Minute))
	require.NoError(t, err)
	c.partition(f.ID())
	require.Eventually(t, func() bool {
		_, err := f.GetBytes(ctx, "a", Stale(300*time.Millisecond))
		return errors.Is(err, ErrTooStale)
	}, waitFor, 10*time.Millisecond)
	b, err := f.GetBytes(ctx, "a", Stale(0))
	require.NoError(t, err, "no bound: the store as it is")
	require.Equal(t, "1", string(b))
}

// Every call after Close returns ErrClosed.
func TestClosedNode(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	l := c.leader()
	c.stop(l.ID())
	require.ErrorIs(t, l.SetBytes(ctx, "a", nil), ErrClosed)
	_, err := l.GetBytes(ctx, "a")
	require.ErrorIs(t, err, ErrClosed)
	_, err = l.GetBytes(ctx, "a", Stale(0))
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, l.Join(ctx, "n9", "n9"), ErrClosed)
	require.ErrorIs(t, l.Remove(ctx, "n9"), ErrClosed)
	_, err = l.Members(ctx)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, l.Bootstrap(Server{"n9", "n9"}), ErrClosed)
	require.NoError(t, l.Close(), "idempotent")
}

// The zero SetOption sets no deadline, as hurrah's does: a caller that
// passes one when it has no TTL to give must not see its write vanish.
func TestZeroSetOptionSetsNoDeadline(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "k", []byte("v"), SetOption{}))
	b, err := l.GetBytes(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v", string(b))
	exp, err := l.db().ExpiresAt(ctx, "k")
	require.NoError(t, err)
	require.True(t, exp.IsZero())
}
