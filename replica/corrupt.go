package replica

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// A damaged entry. Raft's log store (bbolt) checks its pages, not the
// bytes of an entry, so every entry ends in a checksum (sealEntry). A
// machine whose copy of an entry fails it must not skip the entry, as
// it may one that every node refuses alike (ErrBadEntry): the others
// apply it, and the states would part. It halts instead: it applies
// nothing more and takes no snapshot (raft would label the state with a
// later index and compact the log it lacks), and the node refuses every
// call with ErrCorruptEntry until it is stopped. Then the node leaves
// the cluster's raft (retire): a node that cannot apply must not vote,
// lead, or store entries it will never apply (its log, never compacted,
// would grow without bound); the others count it as down.

// halt holds why a machine halted, or nil.
type halt struct {
	err atomic.Pointer[error]
}

// halted returns why the machine halted (wrapping ErrCorruptEntry, or
// ErrStoreFailed), or nil.
func (h *halt) halted() error {
	if p := h.err.Load(); p != nil {
		return *p
	}
	return nil
}

// stopWith halts the machine with err, unless it has halted already.
func (h *halt) stopWith(err error) { h.err.CompareAndSwap(nil, &err) }

// skipped is what Apply returns for an entry after the machine halted:
// committed, applied by the other nodes, not here.
func (h *halt) skipped() error {
	return fmt.Errorf("%w: %w", ErrUncertain, h.halted())
}

// refuse handles err, the decoding error of the entry at index: a
// damaged entry halts the machine, and applied stays before it; any
// other (ErrBadEntry) is what every node meets alike, and the entry
// counts as applied.
func (b *fsmBase) refuse(index uint64, err error) error {
	if errors.Is(err, ErrCorruptEntry) {
		err = fmt.Errorf("replica: entry %d: %w", index, err)
		b.err.Store(&err)
		return err
	}
	b.applied.Store(index)
	return err
}

// Health returns nil while the node can serve reads and writes, ErrClosed
// once Close has begun, and an error wrapping ErrCorruptEntry once the
// node has met a damaged log entry, or ErrStoreFailed once one of raft's
// stores has failed (and then refuses every call with it).
func (n *node) Health() error {
	if n.closed() {
		return ErrClosed
	}
	return n.m.halted()
}

// retire runs as long as the node (Close stops it; it is counted in
// n.waits). Every interval it looks whether the machine has halted; once
// it has, it takes the node out of the cluster's raft, keeping its
// stores (and directory) as they are for the operator:
//   - leading, after a store failed, it steps down (see below);
//   - it waits for the rounds' loop to end (it ends once halted, after
//     answering the round it waits for), and for the membership calls
//     in flight (enter refuses new ones): raft v1.7.2, shutting down,
//     may leave the futures of entries waiting for its FSM goroutine
//     unanswered, so nothing may be in flight then
//     (TestHaltWaitsForJoinInFlight);
//   - leading, it hands leadership over (LeadershipTransfer, bounded by
//     raft's ElectionTimeout), so the cluster need not wait out an
//     election timeout; with no node to take it, it goes on;
//   - it shuts raft down (closing the transport): the node no longer
//     votes, stands for election, or stores entries; then it closes
//     n.left. Close stops the rest.
func (n *node) retire(interval time.Duration) {
	defer n.waits.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n.m.halted() == nil {
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
	}
	n.rounds.kickLoop() // an idle loop looks at the halt
	n.stepDownIfFailed()
	select {
	case <-n.stop:
		return // Close shuts raft down
	case <-n.done:
	}
	n.mu.Lock() // every call enter counted in is in n.calls; it counts no more
	n.mu.Unlock()
	n.calls.Wait() // raft, running, answers their futures soon (as for Close)
	n.restores.Wait()
	if n.leads() {
		n.raft.LeadershipTransfer().Error() // refused, or timed out: it goes on
	}
	n.raft.Shutdown().Error() // Close's Shutdown, after it, answers at once
	close(n.left)
}

// stepDownIfFailed makes a leader whose store failed step down. It may
// no longer read the entries it sends, yet lead on, and the round in
// flight would wait for ever; an entry its guard refuses to store makes
// raft step down, answering the rounds in flight (stores_guard.go).
func (n *node) stepDownIfFailed() {
	if n.guard.failed() != nil && n.leads() {
		n.raft.Barrier(n.cfg.ApplyTimeout).Error()
	}
}

// awaitRounds waits, for Close, until the rounds' loop has ended. retire
// returns on Close, perhaps before it has seen a store's failure (or
// before the store fails), so this makes a failed leader step down too:
// else its round in flight, and Close, would wait for ever
// (TestStoreFaultCloseUnreadableLeader).
func (n *node) awaitRounds() {
	tick := time.NewTicker(n.cfg.Raft.HeartbeatTimeout)
	defer tick.Stop()
	for {
		n.stepDownIfFailed()
		select {
		case <-n.done:
			return
		case <-tick.C:
		}
	}
}

// Left reports whether the node has left the cluster's raft, as it does
// once it has met a damaged log entry (see Health): it no longer votes,
// leads or stores entries. Ask it, not raft's State: raft v1.7.2 may set
// its state back to Follower or Candidate as it shuts down (its main
// loop's timer and Shutdown race), and then it stays so.
func (n *node) Left() bool {
	select {
	case <-n.left:
		return true
	default:
		return false
	}
}

// ended returns why the rounds' loop has ended, for a call it did not
// propose: Close (ErrClosed), or a halt (ErrCorruptEntry, ErrStoreFailed).
func (n *node) ended() error {
	if err := n.Health(); err != nil {
		return err
	}
	return ErrClosed
}
