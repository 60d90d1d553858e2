package replica

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Rounds. A call that needs raft joins the open round: under a mutex it
// appends its items, already encoded, to the entry the round packs, and
// waits for the round to be answered. One goroutine (loop) runs the
// rounds, one at a time: it takes the open round, proposes it to raft,
// waits for it to be applied here and answers its calls at once, by
// closing its channel; meanwhile the calls that arrive join the next
// round, which it takes once the calls it has just answered have had a
// moment to join it too (round_gather.go). So the busier the node,
// the more writes share an entry (as the owner batches requests and the
// journal shares an fsync). A call costs no goroutine hand-off of its
// own and no allocation of this package's. A linearizable read joins a
// round too: it is answered once the round's entry (or, with no writes, a
// raft Barrier) is applied, so the local store then holds every write
// committed before the read began. A Node's and a SystemNode's rounds are
// the same: only the items differ (a DB's ops, a System's commands), and
// the entry's tag.
//
// Why one round at a time, measured with 64 clients and 3 nodes in one
// process on a 2-core machine (BenchmarkWrites, five runs of each,
// alternated, load average 3-6): one round at a time packs about 31
// writes per entry, and a write costs 2.6-4.0 µs of CPU (median 3.5 µs
// of wall time per write); with two rounds waiting for raft at once,
// about 19 writes per entry, 4.2-4.7 µs of CPU and 4.4 µs per write;
// with up to three (a second or third only once 16 calls wait for it),
// 16 per entry and 3.5-4.7 µs. Each entry costs raft, on every
// node, about as much CPU as a whole round's writes cost this package:
// on this machine that outweighs leaving raft idle between a commit and
// the next proposal.

// round is one raft entry: packed by the calls that join it, proposed by
// loop, answered by answer.
type round struct {
	entry []byte // headerRoom bytes for the header, then the items; nil with none
	items int    // how many items entry holds: none for reads only
	calls int    // how many calls joined it, reads too
	// Set by loop as it proposes the round.
	f  raft.Future // an ApplyFuture, or a Barrier's
	at time.Time   // when it was proposed
	// Set by answer, or by end, before either closes done.
	err        error // raft's error for the round
	resp       any   // the machine's answer for the entry
	unproposed bool  // the loop ended first: nothing was proposed
	done       chan struct{}
}

// headerRoom is the room a round's entry keeps at its start for the
// header (appendHeader), written once the count is known.
const headerRoom = 1 + binary.MaxVarintLen64

// rounds is a node's open rounds: the calls' side of the loop.
type rounds struct {
	mu    sync.Mutex
	open  []*round      // not yet proposed, oldest first; calls join the last
	ended bool          // the loop has ended: no round opens, none is proposed
	kick  chan struct{} // buffered (1): a round opened, for loop
	size  int           // the bytes the next round's entry is first given
	want  int           // the calls the loop gathers for (round_gather.go), or 0
	full  chan struct{} // buffered (1): the open round holds want calls, for loop
	// gatherFor, if set before the node starts, replaces gatherWait (tests).
	gatherFor time.Duration
}

// submit hands a call's items (data, encoded as an entry holds them; none
// for a read) to the open round and waits for the round's answer. A call
// whose ctx has ended already proposes nothing.
func (n *node) submit(ctx context.Context, data []byte, items int) error {
	if err := n.Health(); err != nil {
		return err
	}
	if ctx.Done() != nil && ctx.Err() != nil {
		return ctx.Err() // joined no round: nothing of it is proposed
	}
	r, item := n.join(data, items)
	if r == nil {
		return n.ended()
	}
	if ctx.Done() == nil { // a receive costs less than a select
		<-r.done
		return n.outcome(r, item, items)
	}
	select {
	case <-r.done:
		return n.outcome(r, item, items)
	case <-ctx.Done():
		return ctx.Err() // a write may still be applied
	}
}

// join appends data (items items) to the open round, opening one if
// there is none or the open one holds MaxBatchBytes already (so a round
// passes it by one call's data at most, and a call larger than it still
// goes through), and returns the round and the index of the call's first
// item in it; or nil once the loop has ended.
func (n *node) join(data []byte, items int) (*round, int) {
	rs := &n.rounds
	rs.mu.Lock()
	if rs.ended {
		rs.mu.Unlock()
		return nil, 0
	}
	var r *round
	if k := len(rs.open); k > 0 && len(rs.open[k-1].entry)-headerRoom < n.cfg.MaxBatchBytes {
		r = rs.open[k-1]
	}
	opened := r == nil
	if opened {
		r = &round{done: make(chan struct{})}
		rs.open = append(rs.open, r)
	}
	if r.entry == nil && items > 0 { // the round's first write
		r.entry = make([]byte, headerRoom, n.room(len(data)))
	}
	item := r.items
	r.entry = append(r.entry, data...)
	r.items += items
	rs.joined(r, opened)
	rs.mu.Unlock()
	if opened {
		rs.kickLoop()
	}
	return r, item
}

// room returns the capacity to give a round's entry whose first write
// is first bytes: the guess (rounds.size), but no more than a round of
// MaxBatchBytes needs (a larger call brings its own), nor less than
// first. The caller holds rounds.mu.
func (n *node) room(first int) int {
	return headerRoom + max(min(n.rounds.size-headerRoom, n.cfg.MaxBatchBytes+crcSize), first)
}

// take removes the oldest open round and returns it, or nil.
func (rs *rounds) take() *round {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.open) == 0 {
		return nil
	}
	r := rs.open[0]
	rs.open[0] = nil
	rs.open = rs.open[1:]
	// The next round's first guess: rounds vary, so it falls slowly.
	rs.size = max(len(r.entry)+len(r.entry)/2, rs.size-rs.size/8)
	return r
}

// kickLoop wakes the loop, or leaves it a kick to come.
func (rs *rounds) kickLoop() {
	select {
	case rs.kick <- struct{}{}:
	default: // loop has a kick to come: it will look then
	}
}

// end ends the rounds as the loop ends: the open rounds, never proposed,
// are answered ErrClosed, and no round opens again.
func (rs *rounds) end() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.ended = true
	for _, r := range rs.open {
		r.unproposed = true
		close(r.done)
	}
	rs.open = nil
}

// outcome returns a call's answer from its round's: a read's, or that of
// the write whose first item is the round's item-th.
func (n *node) outcome(r *round, item, items int) error {
	switch {
	case r.unproposed:
		return n.ended() // the loop ended before this round: nothing was proposed
	case items == 0:
		return n.readErr(r.err)
	case r.err != nil:
		return n.writeErr(r.err)
	default:
		return itemErr(r.resp, item)
	}
}

// loop runs the open rounds, oldest first, one at a time, until Close
// (or until the machine halts, for retire: see corrupt.go):
// every round it proposes it answers before it looks at Close again, and
// Close waits for it to end (done) before it stops raft, which answers
// every future until then. The rounds it never proposes are answered
// ErrClosed.
func (n *node) loop() {
	defer close(n.done)
	defer n.rounds.end()
	t := time.NewTimer(time.Hour)
	t.Stop()
	wait := cmp.Or(n.rounds.gatherFor, gatherWait)
	for {
		select { // first, or a steady stream of calls would keep it going
		case <-n.stop:
			return
		default:
		}
		select {
		case <-n.stop:
			return
		case <-n.rounds.kick:
		}
		for r := n.rounds.take(); r != nil; r = n.rounds.take() {
			n.propose(r)
			waiting := n.rounds.calls() // before r's callers can join again
			n.answer(r)
			n.gather(r.calls+waiting, t, wait) // at once if Close has begun
			// After gather: Close or a halt may have come while it waited.
			if n.closed() || n.m.halted() != nil {
				return
			}
		}
		if n.m.halted() != nil {
			return // halted: the node leaves raft (retire, corrupt.go)
		}
	}
}

// propose proposes round r: its items as one entry, or, if it has none, a
// Barrier. Raft logs proposals in the order they are made.
func (n *node) propose(r *round) {
	r.at = time.Now()
	if r.items == 0 {
		r.f = n.raft.Barrier(n.cfg.ApplyTimeout)
		return
	}
	var h [headerRoom]byte
	hdr := appendHeader(h[:0], n.tag, r.items)
	entry := r.entry[headerRoom-len(hdr):]
	copy(entry, hdr)
	r.f = n.raft.Apply(trimmed(sealEntry(entry)), n.cfg.ApplyTimeout)
}

// trimmed returns entry, or a copy of it if its room beyond its length
// passes its length: raft's log store may keep the slice it is given
// (raft.InmemStore does, until the log is compacted), and the room a
// round is first given (rounds.size) can be that of a far bigger round.
func trimmed(entry []byte) []byte {
	if cap(entry) > 2*len(entry) {
		return bytes.Clone(entry)
	}
	return entry
}

// answer waits for round r to be applied here and answers its calls.
//
// A round whose future succeeded was committed: that proves this node led
// a majority after the round was proposed, whatever applying the entry
// returned, so its reads are answered, and confirmed moves on. A write
// gets the machine's answer for its item (see itemErr).
func (n *node) answer(r *round) {
	r.err = r.f.Error()
	if af, ok := r.f.(raft.ApplyFuture); ok && r.err == nil {
		r.resp = af.Response()
	}
	if r.err == nil {
		n.confirm(r.at)
	}
	close(r.done)
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
