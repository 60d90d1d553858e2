package replica

import (
	"context"
	"fmt"
	"io"
)

// Backup writes the node's state to w, in the format a raft snapshot of
// the node holds (hurrah's backup format: versioned, every record
// checksummed; see the package doc), and returns the raft index the
// state is at.
//
// Without Stale it is linearizable: it runs on the leader only (a
// follower returns a *NotLeaderError), which first confirms its
// leadership with a majority as a linearizable read does, then freezes
// the state at an index at or after the read's: the backup holds every
// write acknowledged before the call. With Stale it freezes this node's
// state at once, leader or not, within the bound Stale gives.
//
// The state is frozen between two entries (never half of one) without
// stopping writes, and streamed to w while they go on. If ctx ends, or
// the node is closed, while it writes, it returns ctx's error, or
// ErrClosed, and what w received is not a whole backup: one that Restore
// (and hurrah.OpenBackup) refuses with hurrah.ErrCorrupt. w's own error is
// returned wrapped.
func (n *Node) Backup(ctx context.Context, w io.Writer, opts ...ReadOption) (index uint64, err error) {
	return n.backup(ctx, w, opts)
}

// Backup writes the State to w in the System's backup format, the format
// of the node's raft snapshots, and returns the raft index it is at, as
// Node.Backup does.
func (n *SystemNode[S, C]) Backup(ctx context.Context, w io.Writer, opts ...ReadOption) (index uint64, err error) {
	return n.backup(ctx, w, opts)
}

// backup is Backup, for either machine. It is counted in n.calls, so
// Close waits for it; Close ends the node's context, which cuts the
// stream short, before it waits.
func (n *node) backup(ctx context.Context, w io.Writer, opts []ReadOption) (uint64, error) {
	if err := n.enter(); err != nil {
		return 0, err
	}
	defer n.calls.Done()
	if err := n.ready(ctx, opts); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(n.life, cancel)()
	s, err := n.m.frozen(ctx)
	if err != nil {
		return 0, n.backupErr(ctx, err)
	}
	defer s.Release()
	if err := s.write(ctx, w, s.index); err != nil {
		return 0, n.backupErr(ctx, fmt.Errorf("replica: backup at index %d: %w", s.index, err))
	}
	return s.index, nil
}

// backupErr returns ErrClosed for err if Close cut the backup short.
func (n *node) backupErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && n.closed() {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}
