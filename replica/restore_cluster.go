package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// Restoring a cluster from a backup. Raft v1.7.2's user restore
// (Raft.Restore) copies the backup into a new snapshot of the leader's,
// at an index past its log of its own choosing, then has the FSM restore
// that snapshot, and panics if the FSM refuses it: so the whole backup is
// first spooled to a file and loaded with the machine's own loader, and
// only a backup that loads whole reaches raft. The followers then fault
// on the hole in the log and install the leader's snapshot. The machine
// takes its index from raft's snapshot, not from the backup's LSN
// (fsmBase.took), so AppliedIndex and Backup's index go on from the
// leader's log.

// maxRestoreLSN is the highest backup LSN Restore takes. Raft puts the
// backup at an index past its log and the LSN, and its log goes on from
// there: an LSN near the top of uint64 (View.Backup writes any LSN it is
// given) would wrap raft's index to 0, and the restore, and Close, would
// wait forever for an entry that never commits.
const maxRestoreLSN = math.MaxInt64

// spoolPattern names the file a Restore spools its backup to; a leftover
// (a crash mid-restore) is removed by the next NewNode on its Dir.
const spoolPattern = "restore-*.spool"

// Restore replaces the cluster's state with the one the backup r holds
// (as Backup writes it, or a raft snapshot of a Node), on every node. Call
// it on the leader: elsewhere it returns a *NotLeaderError and reads
// nothing.
// Restores on one node run one at a time: one waits for the one under
// way, or for its ctx to end.
//
// It reads r whole into a file, restore-*.spool in Config.Dir (or
// os.TempDir() for a node without one), removed on return (a leftover
// from a crash in Config.Dir goes at the next NewNode on it; one in
// os.TempDir() stays, as other processes' files there are not its own to
// remove), and loads it, every checksum,
// before it hands it to raft: a damaged or truncated backup returns
// hurrah.ErrCorrupt, a System's backup (or one whose LSN is over
// math.MaxInt64, leaving raft no index past it) hurrah.ErrBadInput, one of
// a newer format hurrah.ErrVersion, and nothing changes. Loading holds the
// backup's state in memory beside the node's own for a moment, and so
// does the restore that follows.
//
// Then it runs a round, as a linearizable read does (confirming that it
// still leads), and raft takes the backup as a snapshot of its own, at an
// index past its log; the other nodes install it. It returns once this
// node has restored it and raft has committed an entry after it (so a
// majority holds it). A refusal that changes nothing returns: a
// *NotLeaderError (leadership lost first), ErrBusy (raft did not take it
// within ApplyTimeout, or a membership change began meanwhile and is
// pending: retry once it settles). ErrUncertain
// means this node restored the backup but leadership was lost before a
// majority was known to hold it: read to find out. If ctx ends, or the
// node is closed, before raft has the whole backup, it returns ctx's
// error, or ErrClosed, and nothing changes; once raft has it, Restore
// waits for the restore to finish whatever ctx does, and so does Close.
func (n *Node) Restore(ctx context.Context, r io.Reader) error {
	return n.restore(ctx, r, func(ctx context.Context, r io.Reader) (uint64, error) {
		db, lsn, err := loadSnapshot(ctx, r, hurrah.OpenBackup)
		if err != nil {
			return 0, err
		}
		return lsn, db.Close()
	})
}

// Restore replaces the cluster's State with the one the System backup r
// holds, as Node.Restore does: a DB's backup returns hurrah.ErrBadInput,
// and one whose State does not decode into an S hurrah.ErrCorrupt, and
// nothing changes.
func (n *SystemNode[S, C]) Restore(ctx context.Context, r io.Reader) error {
	return n.restore(ctx, r, func(ctx context.Context, r io.Reader) (uint64, error) {
		sys, lsn, err := loadSnapshot(ctx, r, hurrah.OpenSystemBackup[S, C])
		if err != nil {
			return 0, err
		}
		return lsn, sys.Close()
	})
}

// restore is Restore, with the machine's loader. It is counted in
// n.restores: Close waits for it before it ends the machine's context,
// which the FSM's restore reads the snapshot with (raft panics if that
// fails).
func (n *node) restore(ctx context.Context, r io.Reader, load func(context.Context, io.Reader) (uint64, error)) error {
	if err := n.enterIn(&n.restores); err != nil {
		return err
	}
	defer n.restores.Done()
	if !n.IsLeader() {
		return n.notLeader()
	}
	ctx, cancel := n.untilClose(ctx)
	defer cancel()
	// One at a time: restoreErr tells whether this one landed from the
	// machine's count of restores, and each holds a backup's state in
	// memory beside the node's.
	select {
	case n.restoring <- struct{}{}:
		defer func() { <-n.restoring }()
	case <-ctx.Done():
		return n.cutShort(ctx, ctx.Err())
	}
	spool, size, err := n.spool(ctx, r)
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	lsn, err := load(ctx, &lenReader{r: spool, left: size})
	if err != nil {
		return n.cutShort(ctx, err)
	}
	if lsn > maxRestoreLSN {
		return fmt.Errorf("%w: restore: the backup's LSN %d leaves raft no index past it", hurrah.ErrBadInput, lsn)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("replica: restore: %w", err)
	}
	// A round first: it confirms leadership, and commits an entry of
	// this term, so that raft does not refuse the restore for the
	// configuration of an election just won (as pending: not committed).
	if err := n.submit(ctx, nil, 0); err != nil {
		return n.cutShort(ctx, err)
	}
	before := n.m.restored()
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: lsn, Size: size}
	err = n.raft.Restore(meta, stoppable{ctx: ctx, r: spool}, n.cfg.ApplyTimeout)
	return n.restoreErr(ctx, err, n.m.restored() != before)
}

// spool copies r whole to a new spool file, synced, and returns it, open
// at its start, and its size. On an error it removes the file.
func (n *node) spool(ctx context.Context, r io.Reader) (*os.File, int64, error) {
	dir := n.cfg.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, spoolPattern)
	if err != nil {
		return nil, 0, fmt.Errorf("replica: restore: spool the backup: %w", err)
	}
	size, err := io.Copy(f, stoppable{ctx: ctx, r: r})
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, n.cutShort(ctx, fmt.Errorf("replica: restore: spool the backup: %w", err))
	}
	return f, size, nil
}

// removeSpools removes what restores cut short by a crash left in dir.
func removeSpools(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, spoolPattern))
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("replica: remove a restore's leftover: %w", err)
		}
	}
	return nil
}

// untilClose returns ctx, ended too once Close begins, so that Close cuts
// short a restore's spooling, loading and copy to raft (not raft's
// restore of the copy: Close waits for that).
func (n *node) untilClose(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// cutShort returns err, or ErrClosed wrapping it if Close cut the restore
// short.
func (n *node) cutShort(ctx context.Context, err error) error {
	if ctx.Err() != nil && n.closed() {
		return fmt.Errorf("%w: restore cut short: %w", ErrClosed, err)
	}
	return err
}

// stoppable reads r until ctx ends.
type stoppable struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from r, or returns ctx's error.
func (s stoppable) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	return s.r.Read(p)
}

// restoreErr maps raft's error for a user restore. restored says whether
// the machine restored the backup: if it did not, nothing changed, since
// raft refuses before it writes the snapshot, or, having written it,
// fails only as it shuts down (and the machine restores it at the next
// start: Close waits for a restore, so that is a crash, or a halt).
func (n *node) restoreErr(ctx context.Context, err error, restored bool) error {
	switch {
	case err == nil:
		return nil
	case restored:
		// The noop after it did not commit.
		if errors.Is(err, raft.ErrRaftShutdown) {
			return fmt.Errorf("%w: restore: %w", ErrUncertain, ErrClosed)
		}
		return fmt.Errorf("%w: restore: %w", ErrUncertain, err)
	case errors.Is(err, raft.ErrNotLeader):
		return n.notLeader()
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: restore: %w", ErrBusy, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%w: restore: %w", ErrUncertain, ErrClosed)
	case strings.Contains(err.Error(), "configuration entry"):
		// raft v1.7.2 refuses with an unwrapped error while a membership
		// change is pending; it has written nothing.
		return fmt.Errorf("%w: restore while a membership change is pending: %w", ErrBusy, err)
	}
	if ctx.Err() != nil {
		return n.cutShort(ctx, ctx.Err()) // the copy to raft's snapshot was cut short
	}
	return fmt.Errorf("replica: restore refused, nothing changed: %w", err)
}
