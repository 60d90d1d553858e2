package hurrah

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/journal"
)

// BackupDir writes a backup of the key-value store kept in dir, which no
// program has open, to w, as DB.Backup does, and returns the LSN it holds
// the state at. It is what `hurrah backup DIR FILE` runs.
//
// It opens the store with opts (nil for the defaults), as Open does (so it
// recovers it, and fails with ErrLocked while another program has it open,
// and with ErrCorrupt if it is damaged), takes no snapshot, writes the
// backup and closes the store. progress, if not nil, is called every few
// thousand keys and once at the end (see BackupProgress).
//
// A directory that holds no store is refused with ErrNoStore, and nothing
// is created; one that holds a System with ErrBadDir: only the program
// that defines the System's commands can replay its journal, so back a
// System up there, with System.Backup.
func BackupDir(ctx context.Context, dir string, w io.Writer, opts *Options, progress func(BackupProgress)) (lsn uint64, err error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.SnapshotThreshold = -1 // change nothing in dir but what Open and Close do
	r, err := o.resolve(dir != "")
	if err != nil {
		return 0, err
	}
	if dir == "" {
		return 0, fmt.Errorf("%w: no directory given", ErrNoStore)
	}
	if err := checkDir(r.fs, dir); err != nil {
		return 0, err
	}
	switch system, err := isSystemDir(r.fs, dir); {
	case err != nil:
		return 0, err
	case system:
		return 0, fmt.Errorf("%w: %s holds a System: back it up with System.Backup in the program that opens it", ErrBadDir, dir)
	}
	held, err := journal.HoldsStore(r.fs, dir)
	if err != nil {
		return 0, dirErr("back up", dir, err)
	}
	if !held {
		return 0, fmt.Errorf("%w: %s", ErrNoStore, dir)
	}
	db, err := Open(dir, &o)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	return db.backup(ctx, w, progress)
}
