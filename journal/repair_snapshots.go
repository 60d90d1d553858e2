package journal

import (
	"fmt"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// How Repair judges the snapshots (by the rule Open uses, chooseSnapshot)
// and sets aside those Open would fail on.

// checkSnapshots checks every snapshot of dir into rep.Snapshots and calls
// restore, newest first, as recovery does (step 2), until it accepts one,
// which it records in rep.Restored. It returns that snapshot's LSN (0 if
// none is accepted) and, newest first, the indexes in rep.Snapshots of the
// snapshots that pass their checks but that restore refused: Open fails on
// the first, which becomes rep.Damage. A snapshot Open would read that is
// of a newer format makes it fail with ErrVersion, as Open does.
func checkSnapshots(fsys vfs.FS, dir string, restore func(*Snapshot) error, rep *RepairReport) (uint64, []int, error) {
	snaps, err := listSnapshots(fsys, dir)
	if err != nil {
		return 0, nil, err
	}
	ch, err := chooseSnapshot(fsys, snaps, restore, true)
	rep.Snapshots = ch.checks
	if err != nil {
		return 0, nil, err
	}
	for i := ch.read - 1; i >= 0; i-- { // those Open never reads, for the report
		if _, err := checkSnapshot(fsys, snaps[i], &rep.Snapshots[i]); err != nil {
			return 0, nil, err
		}
	}
	if ch.damage != nil {
		rep.Damage = ch.damage
	}
	if ch.snap == nil {
		return 0, ch.refused, nil
	}
	rep.Restored = snaps[ch.chosen]
	return ch.snap.LSN, ch.refused, nil
}

// setAsideSnapshots renames the snapshots rep.Snapshots[i] for i in idx to
// "<name>.corrupt" (or a free variant), recording each in
// rep.SnapshotsSetAside, then fsyncs dir. With rep.DryRun it only records
// what it would do.
func setAsideSnapshots(fsys vfs.FS, dir string, idx []int, rep *RepairReport) error {
	for _, i := range idx {
		c := rep.Snapshots[i]
		saved, err := freeName(fsys, c.Path, corruptSuffix)
		if err != nil {
			return err
		}
		if !rep.DryRun {
			if err := fsys.Rename(c.Path, saved); err != nil {
				return fmt.Errorf("journal: set snapshot %s aside: %w", c.Path, err)
			}
		}
		rep.SnapshotsSetAside = append(rep.SnapshotsSetAside, SetAside{File: c.Path, Bytes: c.Size, SavedAs: saved})
	}
	if !rep.DryRun {
		if err := fsys.SyncDir(dir); err != nil {
			return fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return nil
}
