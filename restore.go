package hurrah

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// RestoreOptions configure Restore. A nil *RestoreOptions, and every zero
// field, means the default given in the field's comment.
type RestoreOptions struct {
	// FileMode is the permission bits of the files Restore creates, and
	// of the directory (plus execute where it has read), as
	// Options.FileMode. Default 0600 (0700 for the directory).
	FileMode os.FileMode
	// Name stands for the backup in errors, as the file of a
	// *CorruptError. Default "backup"; `hurrah restore` gives the file's
	// path.
	Name string
	// Progress, if set, is called every few thousand records and once at
	// the end (see BackupProgress; Bytes counts the bytes read).
	Progress func(BackupProgress)

	fs vfs.FS // tests swap the file system; nil means the OS
}

// RestoreReport says what Restore restored.
type RestoreReport struct {
	// LSN is the LSN the backup holds the state at: the store opens at it,
	// and its next write is LSN+1.
	LSN uint64
	// Records is the number of records restored: the keys of a DB, or 1
	// for a System's State.
	Records uint64
	// System says whether the backup was of a System (open the directory
	// with OpenSystem) or of a DB (with Open).
	System bool
	// Bytes is the size of the backup read.
	Bytes int64
	// Snapshot is the path of the snapshot file written in the directory.
	Snapshot string
}

// Restore makes a new store directory dir from the backup r holds (written
// by Backup or BackupDir), and reports what it restored. Open (or, for the
// backup of a System, OpenSystem) then opens dir to exactly the state the
// backup holds, at its LSN, and the journal goes on from there. It is what
// `hurrah restore FILE DIR` runs.
//
// dir may be missing (it is created) or an existing directory that holds
// no store; one that holds a store is refused with ErrStoreExists, a path
// that is not a directory with ErrBadDir, and a directory a store has open
// with ErrLocked. A damaged or truncated backup is refused with ErrCorrupt
// (errors.As with a *CorruptError gives the offset in the backup), one of
// a newer format with ErrVersion. In every such case nothing is left
// behind: Restore removes what it created.
//
// Restore checks the format and every checksum, as Open checks a snapshot
// file, and that a DB's backup holds no empty key and a System's one
// State; it does not decode the records. So a backup whose checksums pass
// but whose records no store holds (made by hand, with a key twice, say)
// restores, and Open then refuses the directory with ErrCorrupt. Backup
// never writes one.
//
// The store's files are a snapshot file and the LOCK file (and a System's
// SYSTEM marker). Restore writes the snapshot under a temporary name,
// checking every checksum of the backup as it reads it, fsyncs it, and only
// then renames it into place and fsyncs the directory, holding the
// directory's lock throughout. So a crash at any moment of a restore
// leaves dir either without a store (Open opens it empty; run Restore
// again) or holding the whole restored store, never a part of it. If ctx
// ends first, Restore returns ctx's error and leaves nothing behind; it
// looks at ctx every few thousand records, so a reader that blocks holds
// it up.
func Restore(ctx context.Context, dir string, r io.Reader, opts *RestoreOptions) (RestoreReport, error) {
	o, err := opts.resolve()
	if err != nil {
		return RestoreReport{}, err
	}
	if dir == "" {
		return RestoreReport{}, fmt.Errorf("%w: no directory given", ErrBadDir)
	}
	br, err := journal.NewBackupReader(r, o.Name)
	if err != nil {
		return RestoreReport{}, err
	}
	info := br.Info()
	system, err := restoreKind(o.Name, info)
	if err != nil {
		return RestoreReport{}, err
	}
	if err := checkDir(o.fs, dir); err != nil {
		return RestoreReport{}, err
	}
	if held, err := journal.HoldsStore(o.fs, dir); err != nil || held {
		return RestoreReport{}, restoreErr(dir, err)
	}
	copts := journal.CopyOptions{KeyRequired: !system}
	if o.Progress != nil {
		copts.Progress = func(n uint64, read int64) {
			o.Progress(BackupProgress{Records: n, Total: info.Count, Bytes: read})
		}
	}
	path, err := journal.RestoreBackup(ctx, o.fs, dir, br, journal.RestoreOptions{
		Copy:    copts,
		Prepare: func() (func(), error) { return markRestored(o.fs, dir, system) },
	})
	if err != nil {
		return RestoreReport{}, restoreErr(dir, err)
	}
	return RestoreReport{LSN: info.LSN, Records: info.Count, System: system, Bytes: br.Read(), Snapshot: path}, nil
}

// resolve validates o and fills in defaults.
func (o *RestoreOptions) resolve() (RestoreOptions, error) {
	var r RestoreOptions
	if o != nil {
		r = *o
	}
	if err := fileMode(&r.FileMode); err != nil {
		return RestoreOptions{}, err
	}
	if r.Name == "" {
		r.Name = "backup"
	}
	if r.fs == nil {
		r.fs = vfs.OSMode(r.FileMode)
	}
	return r, nil
}

// restoreKind checks the kind of store a backup says it holds, and
// reports whether it is a System's.
func restoreKind(name string, info journal.BackupInfo) (system bool, err error) {
	switch info.Kind {
	case backupKV:
		return false, nil
	case backupSystem:
		if info.Count != 1 {
			return false, &CorruptError{File: name, Offset: journal.BackupHeaderSize,
				Reason: fmt.Sprintf("the backup of a System holds %d records, not 1", info.Count)}
		}
		return true, nil
	}
	return false, fmt.Errorf("%w: %s: a backup of a kind of store (%d) unknown to this build", ErrVersion, name, info.Kind)
}

// markRestored makes dir's SYSTEM marker say what the backup restored into
// it is: a System's directory has one, a DB's none. (A directory that holds
// no store may have one, left by an OpenSystem or a Restore that did not
// finish.) It is Restore's last step before the snapshot goes in place.
func markRestored(fsys vfs.FS, dir string, system bool) (undo func(), err error) {
	marker := filepath.Join(dir, systemMarker)
	if system {
		made, err := writeMarker(fsys, dir)
		switch {
		case err != nil && made:
			fsys.Remove(marker)
			return nil, err
		case made:
			return func() { fsys.Remove(marker) }, nil
		}
		return nil, err
	}
	switch marked, err := isSystemDir(fsys, dir); {
	case err != nil:
		return nil, err
	case !marked:
		return nil, nil
	}
	if err := fsys.Remove(marker); err != nil {
		return nil, err
	}
	return nil, fsys.SyncDir(dir)
}

// restoreErr classifies an error from restoring into dir, or says that
// dir holds a store already if err is nil.
func restoreErr(dir string, err error) error {
	switch {
	case err == nil, errors.Is(err, journal.ErrStoreExists):
		return fmt.Errorf("%w: %s (restore into a new directory)", ErrStoreExists, dir)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return dirErr("restore into", dir, err)
}
