package hurrah

import (
	"context"
	"fmt"
	"sync"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// diskSnapshots saves a store's snapshots in its directory, beside the
// journal, as the journal package's snapshot files.
type diskSnapshots struct {
	j    *journal.Journal
	fs   vfs.FS
	dir  string
	keep int

	mu sync.Mutex // one removal at a time: a save's pruning or PruneSnapshots
}

var _ store.Snapshots = (*diskSnapshots)(nil)

// checkEvery is how many records a save writes between looks at its
// context.
const checkEvery = 4096

// Save implements store.Snapshots: it writes img to a temp file and
// fsyncs it, waits until the journal is durable up to lsn, renames the file
// into place and fsyncs the directory; then it removes the journal segments
// the snapshot covers and the snapshots beyond the newest keep.
func (d *diskSnapshots) Save(ctx context.Context, lsn uint64, img store.Image, ready <-chan error) (int64, error) {
	create, deadline := journal.CreateSnapshot, noDeadline
	if di, ok := img.(store.KVImage); ok && di.HasDeadlines() {
		create, deadline = journal.CreateSnapshotDeadlines, di.Deadline
	}
	w, err := create(d.fs, d.dir, lsn, uint64(img.Len()))
	if err != nil {
		return 0, err
	}
	defer w.Abort() // a no-op after Commit
	i := 0
	for k, v := range img.All {
		if err = w.AddAt(k, v, deadline(k)); err != nil {
			return 0, err
		}
		if i++; i%checkEvery == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	select {
	case err := <-ready:
		if err != nil {
			return 0, fmt.Errorf("hurrah: snapshot at LSN %d: the journal did not sync: %w", lsn, err)
		}
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	size, err := w.Commit()
	if err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, _, err := journal.CompactSegments(d.fs, d.dir, lsn); err != nil {
		return size, err
	}
	if _, err := journal.PruneSnapshots(d.fs, d.dir, d.keep, lsn); err != nil {
		return size, err
	}
	return size, nil
}

// Written implements store.Snapshots.
func (d *diskSnapshots) Written() int64 { return d.j.Written() }

// prune removes all but the newest keep snapshots at or below upto.
func (d *diskSnapshots) prune(keep int, upto uint64) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return journal.PruneSnapshots(d.fs, d.dir, keep, upto)
}

// PruneSnapshots removes every snapshot file but the newest keep (at least
// one) and returns the paths it removed. It counts only the snapshots up to
// the newest one known to be sound (the one Open restored, or the last one
// saved since), so it never removes that one; files named after a later LSN
// (a damaged snapshot Open passed over) are left alone. The store prunes to
// Options.KeepSnapshots after every snapshot on its own; PruneSnapshots is
// for keeping fewer for a while, to free disk. On a memory-only store it
// returns nothing.
func (db *DB) PruneSnapshots(ctx context.Context, keep int) ([]string, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	if keep < 1 {
		return nil, fmt.Errorf("%w: keep %d snapshots: at least 1", ErrInvalidOptions, keep)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if db.snaps == nil {
		return nil, nil
	}
	// Only snapshots up to the newest one known to be sound count: the
	// one Open restored, or the last one saved since.
	upto := max(db.recovery.SnapshotLSN, db.eng.Stats().LastLSN)
	if upto == 0 {
		return nil, nil
	}
	return db.snaps.prune(keep, upto)
}
