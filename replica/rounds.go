package replica

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

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
// read began. A Node's and a SystemNode's rounds are the same: only the
// items differ (a DB's ops, a System's commands), and the entry's tag.

// request is one call waiting for a round.
type request struct {
	data  []byte     // the call's items, encoded as an entry holds them
	items int        // how many: none for a read
	done  chan error // buffered: the loop never blocks on it
}

// submit hands a call's items (none for a read) to the loop and waits for
// its round.
func (n *node) submit(ctx context.Context, data []byte, items int) error {
	if err := n.Health(); err != nil {
		return err
	}
	r := &request{data: data, items: items, done: make(chan error, 1)}
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

// maxInFlight is how many rounds may be proposed to raft and not yet
// answered: the one answer waits for, the one loop hands it next (loop
// blocks until answer takes it), and maxInFlight-2 queued between. One
// would leave raft idle between a round's commit and the next proposal;
// more make entries smaller, and each entry costs raft about as much CPU
// as a whole batch of writes costs this package. Measured with 64 clients
// on a loaded 2-core machine (BenchmarkSideBySide): at 2, about 19 writes
// per entry and 3.4 µs of CPU per write; at 5, about 10 and 5.3-7.4 µs,
// and fewer writes/s.
const maxInFlight = 2

// pending is a round proposed to raft and not yet answered.
type pending struct {
	batch []*request
	f     raft.Future // an ApplyFuture, or a Barrier's
	at    time.Time   // when it was proposed
}

// loop proposes rounds until Close, handing each to answer, which waits
// for them in order. Once maxInFlight rounds wait, it waits too, and the
// calls that arrive meanwhile make the next round bigger.
func (n *node) loop() {
	inflight := make(chan pending, maxInFlight-2)
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
func (n *node) collect(first *request) []*request {
	batch, size := []*request{first}, len(first.data)
	for size < n.cfg.MaxBatchBytes {
		select {
		case r := <-n.reqs:
			batch = append(batch, r)
			size += len(r.data)
		default:
			return batch
		}
	}
	return batch
}

// propose proposes one round for batch: its items as one entry, or, if
// it has none, a Barrier. Raft logs proposals in the order they are made.
func (n *node) propose(batch []*request) pending {
	items, size := 0, 0
	for _, r := range batch {
		items += r.items
		size += len(r.data)
	}
	at := time.Now()
	if items == 0 {
		return pending{batch, n.raft.Barrier(n.cfg.ApplyTimeout), at}
	}
	entry := appendHeader(make([]byte, 0, size+1+binary.MaxVarintLen64+crcSize), n.tag, items)
	for _, r := range batch {
		entry = append(entry, r.data...)
	}
	return pending{batch, n.raft.Apply(sealEntry(entry), n.cfg.ApplyTimeout), at}
}

// answer waits for each round in turn and answers its calls. It ends once
// loop has closed inflight and every round is answered; Close waits for
// that before it stops raft, which answers every future until then.
//
// A round whose future succeeded was committed: that proves this node led
// a majority after the round was proposed, whatever applying the entry
// returned, so its reads are answered, and confirmed moves on. A write
// gets the machine's answer for its item (see itemErr).
func (n *node) answer(inflight <-chan pending) {
	defer close(n.done)
	for p := range inflight {
		err := p.f.Error()
		var resp any
		if af, ok := p.f.(raft.ApplyFuture); ok && err == nil {
			resp = af.Response()
		}
		if err == nil {
			n.confirm(p.at)
		}
		item := 0
		for _, r := range p.batch {
			switch {
			case r.items == 0:
				r.done <- n.readErr(err)
			case err != nil:
				r.done <- n.writeErr(err)
			default:
				r.done <- itemErr(resp, item)
			}
			item += r.items
		}
	}
}

// confirm records that this node led a majority at some moment after at.
func (n *node) confirm(at time.Time) {
	for {
		old := n.confirmed.Load()
		if at.UnixNano() <= old || n.confirmed.CompareAndSwap(old, at.UnixNano()) {
			return
		}
	}
}

// itemErr returns the error a machine's Apply returned for the item at
// index item of its entry: a DB's entry applies whole (one error, or
// nil), a System's commands one by one (an error each).
func itemErr(resp any, item int) error {
	switch v := resp.(type) {
	case error:
		return v
	case []error:
		if item < len(v) {
			return v[item]
		}
	}
	return nil
}

// writeErr maps raft's error for a proposal to this package's errors.
func (n *node) writeErr(err error) error {
	switch {
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return n.notLeader() // refused before it was logged
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: the write: %w", ErrBusy, err) // not proposed
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: %w", ErrUncertain, ErrClosed)
	}
	return fmt.Errorf("%w: %w", ErrUncertain, err)
}

// readErr maps raft's error for a read's round: a read that failed had
// no effect, so it is safe to retry on the leader.
func (n *node) readErr(err error) error {
	switch {
	case err == nil:
		return n.m.halted() // the round committed, but the store stopped short of it
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: the read: %w", ErrBusy, err)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
		errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return n.notLeader()
	}
	return fmt.Errorf("replica: the read's round failed: %w", err)
}

// notLeader returns the error for a call this node cannot serve.
func (n *node) notLeader() error {
	id, addr := n.Leader()
	if id == n.cfg.ID {
		id, addr = "", "" // this node lost leadership: the next is unknown
	}
	return &NotLeaderError{LeaderID: id, LeaderAddr: addr}
}
