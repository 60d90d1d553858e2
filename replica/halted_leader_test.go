package replica

import (
	"context"
	"errors"
	"fmt"
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
// it had stepped down. The check counts only if raft itself still led
// when it ran (a stalled machine may have let retire step down first):
// the test tries up to three clusters for one where it did.
func TestHaltedLeaderSaysSoAtOnce(t *testing.T) {
	for try := 1; try <= 3; try++ {
		var led bool
		t.Run(fmt.Sprint("try", try), func(t *testing.T) { led = haltedLeaderSaysSo(t) })
		if led || t.Failed() {
			return
		}
		t.Logf("try %d: raft had stepped down before the check: it proved nothing", try)
	}
	t.Fatal("in three tries raft never still led when the node halted")
}

// haltedLeaderSaysSo halts a cluster's leader by a failing store, checks
// what it says of the leader, and returns whether raft still led then.
func haltedLeaderSaysSo(t *testing.T) bool {
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
	isLeader := l.IsLeader()
	id, addr := l.Leader()
	var nl *NotLeaderError
	require.ErrorAs(t, l.notLeader(), &nl)
	leads := l.raft.State() == raft.Leader // raft's own view, read after the node's
	require.False(t, isLeader)
	require.Empty(t, id)
	require.Empty(t, addr)
	require.Empty(t, nl.LeaderID)
	err := <-wrote // refused, or, if proposed, uncertain
	require.True(t, errors.Is(err, ErrStoreFailed) || errors.Is(err, ErrUncertain), "%v", err)
	storeFailed(t, l, syscall.EIO)
	survivors(t, c, l.ID(), want)
	return leads
}
