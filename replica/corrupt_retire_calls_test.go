package replica

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Join in flight when its node halts is answered, and its node leaves
// raft after it: retire waits for the calls in flight before it stops
// raft, as Close does, since raft v1.7.2, shutting down, may leave
// unanswered a future whose entry waits for its FSM goroutine (runFSM
// picks at random between such a batch and shutdownCh), hanging the call
// and Close. Here the Join's change is committed behind a snapshot that
// holds the FSM goroutine; then the machine halts (as applying a
// damaged entry halts it). Raft must not stop before the gate opens
// (before, retire stopped it within about a heartbeat timeout); then the
// Join returns nil, and the node leaves raft.
func TestHaltWaitsForJoinInFlight(t *testing.T) {
	ctx := context.Background()
	_, t1 := raft.NewInmemTransport("g1")
	_, t2 := raft.NewInmemTransport("g2")
	t1.Connect("g2", t2)
	t2.Connect("g1", t1)
	g := &gatedMachine{entered: make(chan struct{}), gate: make(chan struct{})}
	n1 := &Node{}
	require.NoError(t, n1.start(Config{ID: "g1", Transport: t1, Raft: testRaft()}, entryVersion,
		func(ctx context.Context) (machine, error) {
			f, err := newFSM(ctx)
			n1.fsm, g.machine = f, f
			return g, err
		}))
	defer n1.Close()
	n2, err := NewNode(Config{ID: "g2", Transport: t2, Raft: testRaft()})
	require.NoError(t, err)
	defer n2.Close()
	require.NoError(t, n1.Bootstrap(Server{ID: "g1", Addr: "g1"}))
	_, err = n1.WaitLeader(ctx)
	require.NoError(t, err)
	require.NoError(t, n1.SetBytes(ctx, "k", []byte("v")))

	snapped := make(chan error, 1)
	go func() { snapped <- n1.Raft().Snapshot().Error() }()
	<-g.entered
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(g.gate)
		}
	}
	defer open()
	before := n1.Raft().LastIndex()
	joined := make(chan error, 1)
	jctx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	go func() { joined <- n1.Join(jctx, "g2", "g2") }()
	require.Eventually(t, func() bool {
		return n1.Raft().CommitIndex() == n1.Raft().LastIndex() && n1.Raft().LastIndex() > before
	}, waitFor, time.Millisecond, "the change is committed, behind the snapshot")
	halt := fmt.Errorf("%w: the test's", ErrCorruptEntry)
	n1.fsm.err.Store(&halt)

	// retire looks every heartbeat timeout (250 ms), hands over within an
	// election timeout (250 ms), then stops raft: look for 2 s.
	stopped := false
	for deadline := time.Now().Add(2 * time.Second); !stopped && time.Now().Before(deadline); {
		stopped = n1.Raft().State() == raft.Shutdown
		time.Sleep(10 * time.Millisecond)
	}
	assert.False(t, stopped, "raft stopped while a Join was in flight")
	open()
	require.NoError(t, <-joined)
	require.Eventually(t, n1.Left, waitFor, 5*time.Millisecond, "the halted node did not leave raft")
	require.ErrorIs(t, n1.Join(ctx, "g3", "g3"), ErrCorruptEntry)
	<-snapped
}
