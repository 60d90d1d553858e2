package replica

import (
	"io"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// A snapshot damaged on the leader's disk after Persist. raft's file
// snapshot store checks a snapshot's CRC as it opens it, so raft v1.7.2
// cannot send a damaged one to a follower that needs it (one joining, or
// one so far behind that the leader's log no longer reaches it): it
// retries the same snapshot, and fails the same way, until it takes a
// newer one, which, with the default threshold, may be hours away. The
// follower would wait as long. So the node takes a new snapshot at once
// when its newest one fails to open for a send (resnapshot): the state
// in memory is whole, and the next try sends the new one. (At a restart
// raft restores the older snapshot instead, or OpenStores refuses with
// ErrCorruptDir: see stores_check.go.)

// A halted machine takes no snapshot (fsm.Snapshot refuses), and its
// node takes no install either, until it leaves raft: raft writes an
// install to the store before it hands it to Restore, so Create refuses
// once the machine has halted. A node whose store failed writes nothing
// more to its disk, and a halted state stays as it was.

// guardedSnaps is raft's snapshot store as a node runs it.
type guardedSnaps struct {
	raft.SnapshotStore
	damaged chan struct{}   // a snapshot to send failed to open (buffered: 1)
	m       machine         // the node's
	logger  hclog.Logger    // where a snapshot discarded is logged
	held    *refusedAtStart // snapshots refused at start (snapshot_discard.go)
}

// guardSnaps returns s, guarded, for machine m, logging to logger (nil:
// one of its own, to stderr).
func guardSnaps(s raft.SnapshotStore, m machine, logger hclog.Logger) guardedSnaps {
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "raft-snapshots", Level: hclog.Warn})
	}
	return guardedSnaps{SnapshotStore: s, damaged: make(chan struct{}, 1), m: m, logger: logger, held: new(refusedAtStart)}
}

// Create makes a snapshot, unless the machine has halted.
func (s guardedSnaps) Create(v raft.SnapshotVersion, index, term uint64, conf raft.Configuration,
	confIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	if err := s.m.halted(); err != nil {
		return nil, err
	}
	return s.SnapshotStore.Create(v, index, term, conf, confIndex, trans)
}

// Open opens snapshot id, its reader with its size and index beside it
// for a Restore (see snapshot_size.go); a failure as raft opens it to send it
// to a follower asks for a new snapshot. One opened for a Restore (raft's
// start, or an install in its FSM goroutine) is discarded if the
// Restore refuses it as damaged (snapshot_discard.go).
func (s guardedSnaps) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	meta, rc, err := s.SnapshotStore.Open(id)
	switch {
	case err != nil && calledBy("sendLatestSnapshot"):
		select {
		case s.damaged <- struct{}{}:
		default: // one is asked for already
		}
	case err == nil && calledBy("tryRestoreSingleSnapshot"):
		rc = s.forRestore(id, rc, true)
	case err == nil && calledBy("runFSM"):
		rc = s.forRestore(id, rc, false)
	}
	if err != nil || meta == nil {
		return meta, rc, err
	}
	size, ok := s.trustedSize(id, meta)
	return meta, sizedSnapshot{ReadCloser: rc, size: size, sized: ok, index: meta.Index}, nil
}

// resnapshot takes a snapshot each time damaged says that the newest
// could not be sent, until Close (it is counted in n.waits). A snapshot
// refused (nothing applied since the node started, or the machine
// halted) is asked for again at the next failed send.
func (n *node) resnapshot(damaged <-chan struct{}) {
	defer n.waits.Done()
	for {
		select {
		case <-n.stop:
			return
		case <-damaged:
			n.raft.Snapshot().Error() // its failure is raft's to log
		}
	}
}
