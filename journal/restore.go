package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// ErrStoreExists reports a directory RestoreBackup refuses to restore
// into: it holds a store already (HoldsStore).
var ErrStoreExists = errors.New("journal: the directory already holds a store")

// RestoreOptions tune RestoreBackup.
type RestoreOptions struct {
	// Copy tunes the reading of the backup (CopySnapshot).
	Copy CopyOptions
	// Prepare, if set, is called under the lock once the snapshot is
	// written and fsynced under its temporary name, just before it is
	// renamed into place: what it changes in the directory must be
	// durable when it returns. If the restore fails after it, undo (if
	// not nil) is called to revert that, best effort.
	Prepare func() (undo func(), err error)
}

// RestoreBackup makes a new store directory dir from the backup b, and
// returns the path of the snapshot it wrote there. dir may exist (it must
// not hold a store: ErrStoreExists) or not (it is created).
//
// It takes dir's lock, then writes the snapshot the backup holds to
// "<snapshot name>.tmp", checking every byte of the backup as it goes
// (BackupReader.CopySnapshot), fsyncs and closes it, renames it to its
// snapshot name and fsyncs dir, as a snapshot is saved. So a crash at any
// point leaves dir holding no store (at most the LOCK file and the
// temporary file, which Open removes and a new RestoreBackup replaces) or
// the whole snapshot, and a store opened there continues from it.
//
// On error it removes what it created: the temporary file, the LOCK file,
// and dir itself if it created it (an OS file system removes an empty
// directory; an in-memory one may leave it). If the final fsync of dir
// fails, the snapshot is removed again, though it was complete.
func RestoreBackup(ctx context.Context, fsys vfs.FS, dir string, b *BackupReader, opts RestoreOptions) (path string, err error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r := &dirRestore{fsys: fsys, dir: dir}
	defer func() {
		if err != nil {
			r.rollback()
		}
		if r.lock != nil {
			if cerr := r.lock.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("journal: unlock %s: %w", dir, cerr)
			}
		}
		if err != nil && r.madeDir {
			fsys.Remove(dir) // empty again, or it stays
		}
	}()
	if err := r.lockNew(); err != nil {
		return "", err
	}
	f, err := r.create(b.Info().LSN)
	if err != nil {
		return "", err
	}
	if err := r.fill(ctx, f, b, opts.Copy); err != nil {
		return "", err
	}
	if opts.Prepare != nil {
		if r.undo, err = opts.Prepare(); err != nil {
			return "", err
		}
	}
	if err := r.place(); err != nil {
		return "", err
	}
	return r.final, nil
}

// dirRestore is what RestoreBackup created so far, to be removed if it
// fails.
type dirRestore struct {
	fsys     vfs.FS
	dir      string
	madeDir  bool      // dir did not exist
	madeLock bool      // nor did its LOCK file
	lock     io.Closer // the lock held, if any
	tmp      string    // the temporary file, while it exists
	final    string    // the snapshot's path
	placed   bool      // tmp was renamed to final
	undo     func()    // reverts Prepare, if not nil
}

// lockNew creates dir if it is missing, takes its lock, and checks that it
// holds no store.
func (r *dirRestore) lockNew() error {
	_, err := r.fsys.Stat(r.dir)
	r.madeDir = errors.Is(err, fs.ErrNotExist)
	if err := makeDir(r.fsys, r.dir); err != nil {
		return err
	}
	lockPath := filepath.Join(r.dir, lockName)
	_, err = r.fsys.Stat(lockPath)
	made := errors.Is(err, fs.ErrNotExist)
	if r.lock, err = lockDir(r.fsys, r.dir); err != nil {
		return err
	}
	r.madeLock = made
	held, err := HoldsStore(r.fsys, r.dir)
	if err != nil {
		return err
	}
	if held {
		return fmt.Errorf("%w: %s", ErrStoreExists, r.dir)
	}
	return nil
}

// create creates the temporary file of the snapshot at lsn, replacing the
// remains of an earlier attempt.
func (r *dirRestore) create(lsn uint64) (vfs.File, error) {
	r.final = filepath.Join(r.dir, snapshotName(lsn))
	tmp := r.final + tempSuffix
	f, err := r.fsys.Create(tmp)
	if errors.Is(err, fs.ErrExist) {
		if err := r.fsys.Remove(tmp); err != nil {
			return nil, fmt.Errorf("journal: remove stale snapshot %s: %w", tmp, err)
		}
		f, err = r.fsys.Create(tmp)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: create snapshot %s: %w", tmp, err)
	}
	r.tmp = tmp
	return f, nil
}

// fill copies the snapshot b holds to f, checking it, then fsyncs and
// closes f, which it closes on error too.
func (r *dirRestore) fill(ctx context.Context, f vfs.File, b *BackupReader, opts CopyOptions) error {
	_, err := b.CopySnapshot(ctx, f, opts)
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("journal: sync snapshot %s: %w", r.tmp, err)
		}
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("journal: close snapshot %s: %w", r.tmp, cerr)
	}
	return err
}

// place renames the temporary file to the snapshot's name and fsyncs dir.
func (r *dirRestore) place() error {
	if err := r.fsys.Rename(r.tmp, r.final); err != nil {
		return fmt.Errorf("journal: rename snapshot %s: %w", r.tmp, err)
	}
	r.tmp, r.placed = "", true
	if err := r.fsys.SyncDir(r.dir); err != nil {
		return fmt.Errorf("journal: sync directory %s after restoring snapshot %s: %w", r.dir, r.final, err)
	}
	return nil
}

// rollback removes, best effort, what the restore created; the lock is
// still held, so no Open sees a part of it.
func (r *dirRestore) rollback() {
	if r.tmp != "" {
		r.fsys.Remove(r.tmp)
	}
	if r.placed {
		r.fsys.Remove(r.final)
	}
	if r.undo != nil {
		r.undo()
	}
	if r.madeLock {
		r.fsys.Remove(filepath.Join(r.dir, lockName))
	}
}
