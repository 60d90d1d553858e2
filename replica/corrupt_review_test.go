package replica

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// haltedFollower starts a 3-node cluster, damages one follower's copy of
// the victim's entry and starts it again with timeouts of an hour: it
// never stands for election, and it looks for a halt (retire) only
// hourly, so it stays halted, and in raft, for the whole test. It
// returns the cluster and the halted follower.
func haltedFollower(t *testing.T) (*cluster, *Node) {
	t.Helper()
	c, l := victimCluster(t)
	id := c.followers(l)[0].ID()
	c.stop(id)
	damageInmemEntry(t, c.stores[id], []byte(victim))
	c.tune = func(rc *raft.Config) { rc.HeartbeatTimeout, rc.ElectionTimeout = time.Hour, time.Hour }
	f := c.start(id)
	c.tune = nil
	require.Eventually(t, func() bool { return f.Health() != nil }, waitFor, 5*time.Millisecond)
	return c, f
}

// A halted node answers WaitLeader with ErrCorruptEntry, as its doc says,
// also before it has left raft, while raft still knows the leader
// (before, it returned the leader's ID: a caller would send it requests
// it refuses).
func TestHaltedWaitLeaderBeforeRetire(t *testing.T) {
	_, f := haltedFollower(t)
	require.NotEqual(t, raft.Shutdown, f.Raft().State())
	_, err := f.WaitLeader(context.Background())
	require.ErrorIs(t, err, ErrCorruptEntry)
}
