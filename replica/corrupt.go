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
// read and write with ErrCorruptEntry until it is stopped. Its raft keeps
// running (its log is raft's, whole but for the damaged bytes, and it
// still votes), so the cluster loses no availability beyond this node's
// state; a halted leader hands leadership over (see Health and handOver).

// halt holds why a machine halted, or nil.
type halt struct {
	err atomic.Pointer[error]
}

// halted returns why the machine halted (wrapping ErrCorruptEntry), or
// nil.
func (h *halt) halted() error {
	if p := h.err.Load(); p != nil {
		return *p
	}
	return nil
}

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
// node has met a damaged log entry (and then refuses every read and
// write with it). A halted leader asks raft to hand leadership to
// another node each time Health finds it so; reads and writes call it
// first.
func (n *node) Health() error {
	if n.closed() {
		return ErrClosed
	}
	err := n.m.halted()
	if err != nil && n.IsLeader() {
		n.raft.LeadershipTransfer() // refused while one is under way: no wait
	}
	return err
}

// handOver runs as long as the node (Close stops it; it is counted in
// n.waits): every interval it asks raft to hand leadership to another
// node if it finds the node halted and leading, so that a halted leader
// that no call reaches does not keep the lead (nor send its damaged
// entry to a node catching up from it). It retries until raft finds a
// node to take it.
func (n *node) handOver(interval time.Duration) {
	defer n.waits.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
			if n.m.halted() != nil && n.IsLeader() {
				n.raft.LeadershipTransfer()
			}
		}
	}
}
