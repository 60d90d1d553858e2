package replica

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"
)

// Rounds. One goroutine (loop) takes the calls that need raft, a round at a
// time: it packs the writes of every call waiting into one raft entry (as
// the owner batches requests and the journal shares an fsync) and
// proposes it; another (answer) answers every call once its entry is
// applied here. A few rounds may wait for raft at once; calls that arrive
// while they do wait for the next round, so the busier the node, the more
// writes share an entry. A linearizable read joins a round too: it is
// answered once the round's entry (or, with no writes, a raft Barrier) is
// applied, so the local store then holds every write committed before the
// read began.

// request is one call waiting for a round.
type request struct {
	ops  []op       // the writes; none for a read
	size int        // about the bytes ops take in an entry
	done chan error // buffered: the loop never blocks on it
}

// submit hands ops (none for a read) to the loop and waits for its round.
func (n *Node) submit(ctx context.Context, ops []op) error {
	if n.closed() {
		return ErrClosed
	}
	r := &request{ops: ops, done: make(chan error, 1)}
	for _, o := range ops {
		r.size += o.size()
	}
	select {
	case n.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // a write may still be applied
	case <-n.done:
		select { // answer answers a round's calls before it ends
		case err := <-r.done:
			return err
		default:
			return ErrClosed // the loop stopped before this round
		}
	}
}

// maxInFlight is how many rounds may wait for raft at once. One would
// leave raft idle between a round's commit and the next proposal; more
// than a few only makes batches smaller.
const maxInFlight = 4

// pending is a round proposed to raft and not yet answered.
type pending struct {
	batch []*request
	f     raft.Future // an ApplyFuture, or a Barrier's
}

// loop proposes rounds until Close, handing each to answer, which waits
// for them in order. Once maxInFlight rounds wait, it waits too, and the
// calls that arrive meanwhile make the next round bigger.
func (n *Node) loop() {
	inflight := make(chan pending, maxInFlight-1)
	go n.answer(inflight)
	defer close(inflight)
	for {
		select {
		case <-n.stop: // first, or a full queue would keep it going
			return
		default:
		}
		select {
		case <-n.stop:
			return
		case r := <-n.reqs:
			inflight <- n.propose(n.collect(r))
		}
	}
}

// collect returns first and every call waiting after it, up to about
// MaxBatchBytes of writes.
func (n *Node) collect(first *request) []*request {
	batch, size := []*request{first}, first.size
	for size < n.cfg.MaxBatchBytes {
		select {
		case r := <-n.reqs:
			batch = append(batch, r)
			size += r.size
		default:
			return batch
		}
	}
	return batch
}

// propose proposes one round for batch: its writes as one entry, or, if
// it has none, a Barrier. Raft logs proposals in the order they are made.
func (n *Node) propose(batch []*request) pending {
	var ops []op
	for _, r := range batch {
		ops = append(ops, r.ops...)
	}
	if len(ops) == 0 {
		return pending{batch, n.raft.Barrier(n.cfg.ApplyTimeout)}
	}
	return pending{batch, n.raft.Apply(appendEntry(nil, ops), n.cfg.ApplyTimeout)}
}

// answer waits for each round in turn and answers its calls. It ends once
// loop has closed inflight and every round is answered; Close waits for
// that before it stops raft, which answers every future until then.
func (n *Node) answer(inflight <-chan pending) {
	defer close(n.done)
	for p := range inflight {
		err := p.f.Error()
		if af, ok := p.f.(raft.ApplyFuture); ok && err == nil {
			err, _ = af.Response().(error)
		}
		for _, r := range p.batch {
			if len(r.ops) == 0 {
				r.done <- n.readErr(err)
			} else {
				r.done <- n.writeErr(err)
			}
		}
	}
}

// writeErr maps raft's answer to a proposal to this package's errors.
func (n *Node) writeErr(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrBadEntry):
		return err
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return n.notLeader() // refused before it was logged
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("replica: raft did not take the write: %w", err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrUncertain, ErrClosed)
	}
	return fmt.Errorf("%w: %w", ErrUncertain, err)
}

// readErr maps raft's answer to a read's round: a read that failed had
// no effect, so it is safe to retry on the leader.
func (n *Node) readErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("replica: raft did not take the read: %w", err)
	}
	return n.notLeader()
}

// notLeader returns the error for a call this node cannot serve.
func (n *Node) notLeader() error {
	id, addr := n.Leader()
	if id == n.cfg.ID {
		id, addr = "", "" // this node lost leadership: the next is unknown
	}
	return &NotLeaderError{LeaderID: id, LeaderAddr: addr}
}
