package replica

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/raft"
)

// snapshot is the state frozen by a machine's Snapshot (a hurrah View, or
// a System's image) and the raft index it is at. Persist streams it in
// hurrah's backup format (versioned, every record checksummed), which
// Restore checks before it changes anything.
type snapshot struct {
	write   func(ctx context.Context, w io.Writer, lsn uint64) error // the image's Backup
	release func() error                                             // lets the image go
	index   uint64
	ctx     context.Context // ended by the node's Close
}

var _ raft.FSMSnapshot = (*snapshot)(nil)

// Persist writes the snapshot to sink and closes it, or cancels it on an
// error.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(s.ctx, sink, s.index); err != nil {
		_ = sink.Cancel() // the error that matters is err
		return fmt.Errorf("replica: snapshot at index %d: %w", s.index, err)
	}
	return sink.Close()
}

// Release lets the image go, whether or not Persist ran.
func (s *snapshot) Release() { _ = s.release() }
