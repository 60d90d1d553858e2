package replica

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A leader that can no longer read the entries it sends halts at the
// failure, but raft leads on until the node steps down and leaves (retire
// looks every HeartbeatTimeout). From the moment Health reports the
// failure, the node says it is not the leader and names no leader:
// before, IsLeader stayed true, and Leader named the node itself, until
// it had stepped down.
func TestHaltedLeaderSaysSoAtOnce(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	fs[l.ID()].arm("GetLog", syscall.EIO)
	wrote := make(chan error, 1)
	go func() { wrote <- l.SetBytes(context.Background(), "k", []byte("v")) }()
	deadline := time.Now().Add(waitFor)
	for l.Health() == nil { // no sleep: the check below comes as soon as the halt
		require.True(t, time.Now().Before(deadline), "the leader's store never failed")
	}
	leads := l.raft.State() == raft.Leader // raft's own view, read first
	require.False(t, l.IsLeader())
	id, addr := l.Leader()
	require.Empty(t, id)
	require.Empty(t, addr)
	var nl *NotLeaderError
	require.ErrorAs(t, l.notLeader(), &nl)
	require.Empty(t, nl.LeaderID)
	t.Logf("raft still led when the node halted: %v", leads)
	err := <-wrote // refused, or, if proposed, uncertain
	require.True(t, errors.Is(err, ErrStoreFailed) || errors.Is(err, ErrUncertain), "%v", err)
	storeFailed(t, l, syscall.EIO)
	survivors(t, c, l.ID(), want)
}
