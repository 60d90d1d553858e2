package replica

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// snapshot is the state frozen by fsm.Snapshot: a hurrah View and the raft
// index it is at. Persist streams it in hurrah's backup format (versioned,
// every record checksummed), which Restore checks before it changes
// anything.
type snapshot struct {
	view  *hurrah.View
	index uint64
	ctx   context.Context // ended by the node's Close
}

var _ raft.FSMSnapshot = (*snapshot)(nil)

// Persist writes the snapshot to sink and closes it, or cancels it on an
// error.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.view.Backup(s.ctx, sink, s.index); err != nil {
		_ = sink.Cancel() // the error that matters is err
		return fmt.Errorf("replica: snapshot at index %d: %w", s.index, err)
	}
	return sink.Close()
}

// Release lets the View go, whether or not Persist ran.
func (s *snapshot) Release() { _ = s.view.Close() }
