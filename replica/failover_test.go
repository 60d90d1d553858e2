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

// Followers cut off (one of 3, two of 5: a minority) miss writes, then
// catch up once healed; while cut off they refuse writes and
// linearizable reads.
func TestPartitionedFollowerCatchesUp(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { partitionedFollowers(t, size) })
	}
}

func partitionedFollowers(t *testing.T, size int) {
	ctx := context.Background()
	c := newCluster(t, size, nil)
	l := c.leader()
	cut := c.followers(l)[:(size-1)/2]
	c.partition(ids(cut)...) // together: two of five cannot elect one of them
	want := c.setKeys("k", 40)
	for _, f := range cut {
		require.Error(t, f.SetBytes(ctx, "x", nil))
		_, err := f.GetBytes(ctx, "k1")
		require.Error(t, err)
		require.Less(t, f.AppliedIndex(), l.AppliedIndex())
	}
	for _, f := range cut {
		c.heal(f.ID())
	}
	l = c.leader()
	for _, f := range cut {
		caughtUp(t, f, l.AppliedIndex())
		require.Equal(t, want, contents(t, f))
	}
}

// A partitioned leader (of 3; of 5, with one follower: a minority, the
// two still linked) steps down and refuses writes; the majority elects
// a new leader; the old one, healed, follows it and drops nothing
// acknowledged.
func TestPartitionedLeaderStepsDown(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { partitionedLeader(t, size) })
	}
}

func partitionedLeader(t *testing.T, size int) {
	ctx := context.Background()
	c := newCluster(t, size, nil)
	old := c.leader()
	want := c.setKeys("k", 10)
	cut := append([]*Node{old}, c.followers(old)[:(size-1)/2-1]...)
	c.partition(ids(cut)...)
	require.Eventually(t, func() bool {
		for _, n := range cut {
			if n.IsLeader() {
				return false
			}
		}
		return true
	}, waitFor, 5*time.Millisecond, "the minority kept a leader")
	require.ErrorAs(t, old.SetBytes(ctx, "old", []byte("leader")), new(*NotLeaderError))
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "new", []byte("leader")))
	want["new"] = "leader"
	for _, n := range cut {
		c.heal(n.ID())
	}
	require.Eventually(t, func() bool { return !old.IsLeader() }, waitFor, 5*time.Millisecond)
	for _, n := range cut {
		caughtUp(t, n, l.AppliedIndex())
		require.Equal(t, want, contents(t, n))
	}
}

// A follower restarted over its raft stores (in a cluster of 3, and of
// 5) rebuilds its store from raft's snapshot and log, and catches up on
// what it missed.
func TestRestartedNodeRebuildsAndCatchesUp(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { restarted(t, size) })
	}
}

func restarted(t *testing.T, size int) {
	c := newCluster(t, size, nil)
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

// A new node joins (a cluster of 3, and of 5) after the leader has
// compacted its log: it catches up by a snapshot install.
func TestNewNodeCatchesUpBySnapshot(t *testing.T) {
	for _, size := range []int{3, 5} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { bySnapshot(t, size) })
	}
}

func bySnapshot(t *testing.T, size int) {
	ctx := context.Background()
	c := newCluster(t, size, func(rc *raft.Config) { rc.TrailingLogs = 5 })
	l := c.leader()
	want := c.setKeys("k", 200)
	require.NoError(t, l.Raft().Snapshot().Error())
	for k, v := range c.setKeys("after", 3) {
		want[k] = v
	}
	first, err := c.stores[l.ID()].logs.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(10), "the log is compacted: the new node cannot catch up from it")

	id := "n" + strconv.Itoa(size+1)
	c.ids = append(c.ids, id)
	n := c.start(id)
	require.NoError(t, c.leader().Join(ctx, id, id))
	caughtUp(t, n, l.AppliedIndex())
	require.Equal(t, want, contents(t, n))
	snaps, err := c.stores[id].snaps.List()
	require.NoError(t, err)
	require.NotEmpty(t, snaps, "%s installed a snapshot", id)
}

// ids returns the nodes' IDs.
func ids(nodes []*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID()
	}
	return out
}
