package replica

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gatherNode returns a node with only what rounds need, and a stopped
// timer for gather.
func gatherNode(maxBatch int) (*node, *time.Timer) {
	n := &node{cfg: Config{MaxBatchBytes: maxBatch}, stop: make(chan struct{})}
	n.rounds.kick = make(chan struct{}, 1)
	n.rounds.full = make(chan struct{}, 1)
	t := time.NewTimer(time.Hour)
	t.Stop()
	return n, t
}

// startGather runs gather(want) with no time limit of its own and
// returns a channel closed when it returns.
func startGather(n *node, t *time.Timer, want int) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.gather(want, t, time.Hour)
	}()
	return done
}

// gathering waits until gather waits for want calls.
func gathering(t *testing.T, n *node, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		n.rounds.mu.Lock()
		defer n.rounds.mu.Unlock()
		return n.rounds.want == want
	}, waitFor, 10*time.Microsecond)
}

// returned fails the test unless done is closed within waitFor.
func returned(t *testing.T, done chan struct{}, why string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatalf("gather did not return: %s", why)
	}
}

// The loop waits for the calls it gathers, and no longer: it goes on as
// the open round reaches them.
func TestGatherEndsWhenTheCallsHaveJoined(t *testing.T) {
	n, tm := gatherNode(1 << 20)
	n.join([]byte{1}, 1)
	done := startGather(n, tm, 3)
	gathering(t, n, 3)
	n.join([]byte{2}, 1)
	select {
	case <-done:
		t.Fatal("gather returned with 2 calls of 3")
	default:
	}
	n.join([]byte{3}, 1)
	returned(t, done, "the open round holds the 3 calls")
	require.Equal(t, 3, n.rounds.calls())
	require.Zero(t, n.rounds.want, "nothing is gathered any more")
	require.Empty(t, n.rounds.full, "no signal is left for the next gather")
}

// A read counts as a call: it joins the round too.
func TestGatherCountsReads(t *testing.T) {
	n, tm := gatherNode(1 << 20)
	done := startGather(n, tm, 1)
	gathering(t, n, 1)
	n.join(nil, 0)
	returned(t, done, "a read joined")
}

// The loop does not wait when the open round holds the calls already, or
// when it is full and the next one has opened.
func TestGatherReturnsAtOnce(t *testing.T) {
	n, tm := gatherNode(1 << 20)
	n.join([]byte{1}, 1)
	n.join([]byte{2}, 1)
	returned(t, startGather(n, tm, 2), "the round holds the 2 calls")

	n, tm = gatherNode(10)
	n.join(make([]byte, 20), 1)
	n.join([]byte{1}, 1) // opens the next round: the first is full
	returned(t, startGather(n, tm, 5), "a second round is open")
}

// A round that fills up while the loop waits ends the wait: the loop
// proposes it rather than wait for calls that cannot join it.
func TestGatherEndsWhenTheRoundIsFull(t *testing.T) {
	n, tm := gatherNode(10)
	n.join([]byte{1}, 1)
	done := startGather(n, tm, 5)
	gathering(t, n, 5)
	n.join(make([]byte, 20), 1) // joins, and fills the round
	n.join([]byte{2}, 1)        // opens the next
	returned(t, done, "the open round is full")
}

// Close ends the wait; so does the time limit, for calls that never come.
func TestGatherEndsAtCloseOrInTime(t *testing.T) {
	n, tm := gatherNode(1 << 20)
	done := startGather(n, tm, 5)
	gathering(t, n, 5)
	close(n.stop)
	returned(t, done, "the node stopped")

	n, tm = gatherNode(1 << 20)
	n.gather(5, tm, time.Millisecond) // returns, or the test times out
	require.Zero(t, n.rounds.want)
}
