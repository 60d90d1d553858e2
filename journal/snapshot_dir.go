package journal

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Snapshot housekeeping in a journal directory: finding the snapshots,
// removing the remains of unfinished ones, and pruning old ones.

// SnapshotFile is a snapshot found in a directory: its path and the LSN in its name.
type SnapshotFile struct {
	Path string // of the file
	LSN  uint64 // from its name
}

// listSnapshots returns the snapshots in dir, oldest (lowest LSN) first: the
// files named exactly as snapshotName names them. Temporary files and every
// other file are ignored. It reads no snapshot: a listed file may still be
// damaged.
func listSnapshots(fsys vfs.FS, dir string) ([]SnapshotFile, error) {
	files, err := listByLSN(fsys, dir, parseSnapshotName, true)
	if err != nil {
		return nil, err
	}
	var snaps []SnapshotFile
	for _, f := range files {
		snaps = append(snaps, SnapshotFile{Path: f.path, LSN: f.lsn})
	}
	return snaps, nil
}

// cleanSnapshotTemps removes every temporary snapshot file in dir (named
// snapshotName(lsn)+".tmp" for some lsn), the remains of snapshots that a
// crash interrupted, and fsyncs dir if it removed any. A name of that form
// on anything but a regular file (a directory, a fifo) is left alone and is
// corruption naming it. It returns how many it removed, also on error.
func cleanSnapshotTemps(fsys vfs.FS, dir string) (int, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return 0, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	removed := 0
	for _, name := range names {
		snap, ok := strings.CutSuffix(name, tempSuffix)
		if !ok {
			continue
		}
		if _, ok := parseSnapshotName(snap); !ok {
			continue
		}
		path := filepath.Join(dir, name)
		// Only a snapshot writer makes these names, and it makes files:
		// anything else is not ours to remove.
		switch exists, err := isRegular(fsys, path); {
		case err != nil:
			return removed, err
		case !exists:
			continue // removed since it was listed
		}
		if err := fsys.Remove(path); err != nil {
			return removed, fmt.Errorf("journal: remove snapshot temp %s: %w", path, err)
		}
		removed++
	}
	if removed > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return removed, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return removed, nil
}

// PruneSnapshots removes all but the newest keep of the snapshots of dir
// whose LSN is at most upto (keep must be at least 1), oldest first, so
// that a crash part-way leaves the newest ones, and fsyncs dir if it
// removed any. Snapshots above upto are left alone: a store passes the LSN
// of the newest snapshot it knows to be sound, so that a damaged file
// named after a higher LSN cannot make it remove the one it restores. It
// returns the paths it removed, oldest first, also on error.
func PruneSnapshots(fsys vfs.FS, dir string, keep int, upto uint64) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("journal: prune snapshots of %s: keep %d, want at least 1", dir, keep)
	}
	all, err := listSnapshots(fsys, dir)
	if err != nil {
		return nil, err
	}
	snaps := all[:0:0]
	for _, s := range all {
		if s.LSN <= upto {
			snaps = append(snaps, s)
		}
	}
	var removed []string
	for _, s := range snaps[:max(0, len(snaps)-keep)] {
		if err := fsys.Remove(s.Path); err != nil {
			return removed, fmt.Errorf("journal: remove snapshot %s: %w", s.Path, err)
		}
		removed = append(removed, s.Path)
	}
	if len(removed) > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return removed, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return removed, nil
}

// PruneDir is PruneSnapshots for a directory that no Journal has open, as
// Repair is: it takes the directory lock (creating the LOCK file if it is
// missing) for the time it works, and fails with ErrLocked if a Journal
// holds it. It returns the paths it removed, oldest first, also on error.
//
// Unlike PruneSnapshots, it reads the snapshots it would keep, newest
// first, until one passes its checks (decodeSnapshot), and refuses, removing
// nothing, if none does while it would remove others: Open restores the
// newest snapshot that passes its checks, which would then be among those
// removed. The error wraps ErrCorrupt and names the snapshots kept. A kept
// snapshot of a newer format makes it refuse with ErrVersion.
func PruneDir(fsys vfs.FS, dir string, keep int) (removed []string, err error) {
	if keep < 1 {
		return nil, fmt.Errorf("journal: prune snapshots of %s: keep %d, want at least 1", dir, keep)
	}
	unlock, err := lockExisting(fsys, dir, "prune")
	if err != nil {
		return nil, err
	}
	defer unlock(&err)
	snaps, err := listSnapshots(fsys, dir)
	if err != nil {
		return nil, err
	}
	if len(snaps) <= keep {
		return nil, nil
	}
	var bad []error
	for i := len(snaps) - 1; ; i-- {
		if i < len(snaps)-keep {
			return nil, fmt.Errorf("journal: prune snapshots of %s: %w: the newest %d fail their checks, "+
				"and the store restores the newest that passes them, which pruning would remove: %w",
				dir, ErrCorrupt, keep, errors.Join(bad...))
		}
		_, err := readSnapshot(fsys, snaps[i].Path)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		bad = append(bad, err)
	}
	return PruneSnapshots(fsys, dir, keep, math.MaxUint64)
}
