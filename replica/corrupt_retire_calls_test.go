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
	n1, g, joined, snapped, stop := joinBehindSnapshot(t)
	defer n1.Close()
	defer stop()
	opened := false
	open := func() {
		if !opened {
			opened = true
			close(g.gate)
		}
	}
	defer open()
	halt := fmt.Errorf("%w: the test's", ErrCorruptEntry)
	n1.fsm.err.Store(&halt)

	// Wait until retire has seen the halt: the rounds' loop ends on it,
	// and retire then goes on to wait for the Join.
	select {
	case <-n1.done:
	case <-time.After(waitFor):
		t.Fatal("the rounds' loop did not end on the halt")
	}
	// Not deterministic: what keeps raft running is retire's
	// n.calls.Wait, which shows nothing a test can wait on; a hook would
	// go in retire (corrupt.go). Without that wait, retire would hand over
	// within an election timeout (250 ms) and stop raft at once: look for
	// 2 s, eight times that.
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
