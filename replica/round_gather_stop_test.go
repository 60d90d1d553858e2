package replica

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// heldMachine is a machine whose Apply of a command, while hold is set,
// says so on entered and waits for the test to send on gate: the loop
// then waits, in answer, for that command's round.
type heldMachine struct {
	machine
	hold    atomic.Bool
	entered chan struct{}
	gate    chan struct{}
}

func (h *heldMachine) Apply(l *raft.Log) any {
	if l.Type == raft.LogCommand && h.hold.Load() {
		h.entered <- struct{}{}
		<-h.gate
	}
	return h.machine.Apply(l)
}

// outcome returns what a call sent on c, or fails the test.
func outcome(t *testing.T, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(waitFor):
		t.Fatal("the call was not answered")
		return nil
	}
}

// gatheringNode starts a one-node cluster whose loop gathers for an hour
// and leaves the loop gathering for two calls, the open round holding
// one write (b): the round before held one call, and one call waited
// when it was proposed. It returns the node and b's outcome.
func gatheringNode(t *testing.T) (*Node, chan error) {
	ctx := context.Background()
	_, tr := raft.NewInmemTransport("n1")
	h := &heldMachine{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	n := &Node{}
	n.rounds.gatherFor = time.Hour
	cfg := Config{ID: "n1", Transport: tr, Raft: testRaft(), MaxBatchBytes: 64}
	require.NoError(t, n.start(cfg, entryVersion, func(ctx context.Context) (machine, error) {
		f, err := newFSM(ctx)
		n.fsm, h.machine = f, f
		return h, err
	}))
	t.Cleanup(func() { n.Close() })
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err := n.WaitLeader(ctx)
	require.NoError(t, err)

	write := func(key string, size int) chan error {
		c := make(chan error, 1)
		go func() { c <- n.SetBytes(ctx, key, make([]byte, size)) }()
		return c
	}
	openCalls := func(want ...int) func() bool {
		return func() bool {
			n.rounds.mu.Lock()
			defer n.rounds.mu.Unlock()
			if len(n.rounds.open) != len(want) {
				return false
			}
			for i, r := range n.rounds.open {
				if r.calls != want[i] {
					return false
				}
			}
			return true
		}
	}
	h.hold.Store(true)
	v := write("v", 1)
	<-h.entered         // the loop waits for v's round
	a := write("a", 64) // a round of its own: it holds MaxBatchBytes
	require.Eventually(t, openCalls(1), waitFor, 10*time.Microsecond)
	b := write("b", 1) // the next round
	require.Eventually(t, openCalls(1, 1), waitFor, 10*time.Microsecond)
	h.hold.Store(false)
	h.gate <- struct{}{}
	require.NoError(t, outcome(t, v))
	require.NoError(t, outcome(t, a))
	gathering(t, &n.node, 2) // a's round's call, and b, waiting as a's round was proposed
	return n, b
}

// Close while the loop gathers ends the loop: the round it gathered for
// is never proposed, and its calls return ErrClosed (before, the loop
// proposed it once the wait ended, after Close had begun).
func TestGatherStopsAtClose(t *testing.T) {
	n, b := gatheringNode(t)
	closed := make(chan error, 1)
	go func() { closed <- n.Close() }()
	require.ErrorIs(t, outcome(t, b), ErrClosed)
	require.NoError(t, outcome(t, closed))
}

// A halt while the loop gathers ends the loop too: the round is never
// proposed, and its calls return ErrCorruptEntry, not ErrUncertain
// (before, the loop proposed it to the cluster, which applied it, while
// this node, halted, did not).
func TestGatherStopsAtHalt(t *testing.T) {
	n, b := gatheringNode(t)
	before := n.Raft().LastIndex()
	halt := fmt.Errorf("%w: the test's", ErrCorruptEntry)
	n.fsm.err.Store(&halt)
	n.join(nil, 0) // a read: the round holds the calls gathered for
	err := outcome(t, b)
	require.ErrorIs(t, err, ErrCorruptEntry)
	require.NotErrorIs(t, err, ErrUncertain)
	require.Equal(t, before, n.Raft().LastIndex(), "nothing was proposed after the halt")
}
