package replica

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// gatedMachine is a machine whose Snapshot blocks until the test opens the
// gate, holding raft's FSM goroutine: the futures of entries committed
// meanwhile wait behind it.
type gatedMachine struct {
	machine
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedMachine) Snapshot() (raft.FSMSnapshot, error) {
	close(g.entered)
	<-g.gate
	return g.machine.Snapshot()
}

// A Join whose change is committed, but whose future waits behind raft's
// FSM goroutine, is answered even when Close comes meanwhile: Close waits
// for it before it stops raft, which, shutting down, would drop it
// unanswered (raft v1.7.2), hanging the Join and its goroutine. Raft's
// FSM goroutine is held by a snapshot until Close has stopped raft, or
// for a while if it does not (as it must not before the Join is
// answered); then the Join must return, and the change be made.
func TestJoinDuringCloseIsAnswered(t *testing.T) {
	for range 6 {
		joinDuringClose(t)
	}
}

// joinBehindSnapshot starts g1, whose machine is gated, and g2; g1
// bootstraps a cluster of itself, writes a key, holds raft's FSM
// goroutine with a snapshot (snapped has its result), and joins g2
// (joined has the Join's result) until the change is committed behind
// the snapshot. The caller opens g.gate, closes n1, and calls stop, which
// closes g2 and ends the Join's ctx.
func joinBehindSnapshot(t *testing.T) (n1 *Node, g *gatedMachine, joined, snapped chan error, stop func()) {
	ctx := context.Background()
	_, t1 := raft.NewInmemTransport("g1")
	_, t2 := raft.NewInmemTransport("g2")
	t1.Connect("g2", t2)
	t2.Connect("g1", t1)
	g = &gatedMachine{entered: make(chan struct{}), gate: make(chan struct{})}
	n1 = &Node{}
	require.NoError(t, n1.start(Config{ID: "g1", Transport: t1, Raft: testRaft()}, entryVersion,
		func(ctx context.Context) (machine, error) {
			f, err := newFSM(ctx)
			n1.fsm, g.machine = f, f
			return g, err
		}))
	n2, err := NewNode(Config{ID: "g2", Transport: t2, Raft: testRaft()})
	require.NoError(t, err)
	jctx, cancel := context.WithTimeout(ctx, waitFor)
	stop = func() { cancel(); n2.Close() }
	require.NoError(t, n1.Bootstrap(Server{ID: "g1", Addr: "g1"}))
	_, err = n1.WaitLeader(ctx)
	require.NoError(t, err)
	require.NoError(t, n1.SetBytes(ctx, "k", []byte("v")))

	snapped = make(chan error, 1)
	go func() { snapped <- n1.Raft().Snapshot().Error() }()
	<-g.entered
	before := n1.Raft().LastIndex()
	joined = make(chan error, 1)
	go func() { joined <- n1.Join(jctx, "g2", "g2") }()
	require.Eventually(t, func() bool {
		return n1.Raft().CommitIndex() == n1.Raft().LastIndex() && n1.Raft().LastIndex() > before
	}, waitFor, time.Millisecond, "the change is committed, behind the snapshot")
	return n1, g, joined, snapped, stop
}

func joinDuringClose(t *testing.T) {
	n1, g, joined, snapped, stop := joinBehindSnapshot(t)
	defer stop()
	closed := make(chan error, 1)
	go func() { closed <- n1.Close() }()
	require.Eventually(t, n1.closed, waitFor, time.Millisecond)
	deadline := time.Now().Add(100 * time.Millisecond)
	for n1.Raft().State() != raft.Shutdown && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(g.gate)
	require.NoError(t, <-joined)
	require.NoError(t, <-closed)
	<-snapped
}
