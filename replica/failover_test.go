package replica

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// The leader is killed (in a cluster of 5, then a follower too): the
// others elect a new one, which holds every acknowledged write and serves
// new ones.
func TestLeaderKilledNewLeaderServes(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { leaderKilled(t, size) })
	}
}

func leaderKilled(t *testing.T, size int) {
	ctx := context.Background()
	c := newCluster(t, size, nil)
	old := c.leader()
	want := c.setKeys("before", 30)
	c.stop(old.ID())
	l := c.leader()
	require.NotEqual(t, old.ID(), l.ID())
	if size == 5 {
		c.stop(c.followers(l)[0].ID()) // a minority of 5 is 2
	}
	for k, v := range want {
		b, err := l.GetBytes(ctx, k)
		require.NoError(t, err)
		require.Equal(t, v, string(b))
	}
	after := c.setKeys("after", 10)
	for _, f := range c.followers(l) {
		caughtUp(t, f, l.AppliedIndex())
		got := contents(t, f)
		for k, v := range after {
			require.Equal(t, v, got[k])
		}
	}
}

// A follower cut off misses writes, then catches up once healed; while
// cut off it refuses writes and linearizable reads.
func TestPartitionedFollowerCatchesUp(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	f := c.followers(l)[0]
	c.partition(f.ID())
	want := c.setKeys("k", 40)
	require.Error(t, f.SetBytes(ctx, "x", nil))
	_, err := f.GetBytes(ctx, "k1")
	require.Error(t, err)
	require.Less(t, f.AppliedIndex(), l.AppliedIndex())
	c.heal(f.ID())
	l = c.leader()
	caughtUp(t, f, l.AppliedIndex())
	require.Equal(t, want, contents(t, f))
}

// A partitioned leader steps down; the majority elects a new leader; the
// old one, healed, follows it and drops nothing acknowledged.
func TestPartitionedLeaderStepsDown(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	old := c.leader()
	want := c.setKeys("k", 10)
	c.partition(old.ID())
	l := c.leader()
	require.NotEqual(t, old.ID(), l.ID())
	require.NoError(t, l.SetBytes(ctx, "new", []byte("leader")))
	want["new"] = "leader"
	c.heal(old.ID())
	require.Eventually(t, func() bool { return !old.IsLeader() }, waitFor, 5*time.Millisecond)
	caughtUp(t, old, l.AppliedIndex())
	require.Equal(t, want, contents(t, old))
}

// A follower restarted over its raft stores rebuilds its store from
// raft's snapshot and log, and catches up on what it missed.
func TestRestartedNodeRebuildsAndCatchesUp(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	want := c.setKeys("a", 20)
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	require.NoError(t, f.Raft().Snapshot().Error(), "the restart restores this snapshot first")
	for k, v := range c.setKeys("b", 20) {
		want[k] = v
	}
	caughtUp(t, f, l.AppliedIndex())
	id := f.ID()
	c.stop(id)
	for k, v := range c.setKeys("c", 20) {
		want[k] = v
	}
	f = c.start(id)
	l = c.leader()
	caughtUp(t, f, l.AppliedIndex())
	require.Equal(t, want, contents(t, f))
}

// A new node joins after the leader has compacted its log: it catches up
// by a snapshot install.
func TestNewNodeCatchesUpBySnapshot(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, func(rc *raft.Config) { rc.TrailingLogs = 5 })
	l := c.leader()
	want := c.setKeys("k", 200)
	require.NoError(t, l.Raft().Snapshot().Error())
	for k, v := range c.setKeys("after", 3) {
		want[k] = v
	}
	first, err := c.stores[l.ID()].logs.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(10), "the log is compacted: the new node cannot catch up from it")

	c.ids = append(c.ids, "n4")
	n4 := c.start("n4")
	require.NoError(t, c.leader().Join(ctx, "n4", "n4"))
	caughtUp(t, n4, l.AppliedIndex())
	require.Equal(t, want, contents(t, n4))
	snaps, err := c.stores["n4"].snaps.List()
	require.NoError(t, err)
	require.NotEmpty(t, snaps, "n4 installed a snapshot")
}
