package hurrah

import (
	"fmt"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// RepairReport says what Repair or Check found in a store's directory and
// what was (or would be) done about it: the damage, the files set aside and
// their bytes, and the last sequence number (LSN) the store keeps. Every
// record after LastLSN is lost to the store.
//
// It also describes the snapshots: every snapshot file with its LSN, its
// record count and whether it passes its checks (Snapshots), the one Open
// restores (Restored), where the journal starts (FirstLSN: Open needs it
// to reach back to Restored.LSN+1), the snapshots set aside
// (SnapshotsSetAside), and, when the store cannot be repaired, why
// (Unrepairable).
type RepairReport = journal.RepairReport

// SetAside is one piece of the journal, or one snapshot, that Repair set
// aside (renamed or copied to a ".corrupt" file) rather than delete.
type SetAside = journal.SetAside

// SnapshotCheck is what Repair or Check found about one snapshot file: its
// path and LSN, its record count and size, and why it fails its checks or
// the store refuses to restore it, if it does.
type SnapshotCheck = journal.SnapshotCheck

// Repair makes a store that Open refuses with ErrCorrupt openable again, at
// the price of every record from the damage on.
//
// Use it only after Open has failed with ErrCorrupt, which means part of the
// journal that had been made durable is damaged (a failing disk, a stray
// write, a file copied while in use): no crash explains it, so Open will not
// guess. Repair cuts the journal just before the first damaged record and
// sets aside everything after it: the rest of the damaged segment goes to a
// "<segment>.<offset>.corrupt" file and every later segment is renamed to
// "<segment>.corrupt". Nothing is deleted, so the bytes stay available for
// inspection, but the store no longer sees them: every record after
// RepairReport.LastLSN is lost, even those the damage did not touch, since
// later records may depend on the lost ones. RepairReport.HighestLost says
// how far the journal is known to have reached.
//
// Repair judges the directory as Open does: from the newest snapshot that
// passes its checks, with the journal after it (see journal.Repair for the
// details). So a store whose journal was compacted after a snapshot (its
// first segment starts after LSN 1) is sound if the journal reaches back to
// the snapshot. Damage in a segment the snapshot covers in full costs
// nothing: that segment and those before it are set aside and the later
// ones kept. If cutting at the damage would leave a journal that ends
// before the snapshot, every segment is set aside and the store opens from
// the snapshot alone, holding what it held up to the snapshot's LSN.
//
// As for snapshots, Repair never deletes one, and moves one only when Open
// would fail on it and the store can do without it: a snapshot that passes
// its checks but does not restore (its records are not a valid image of
// the store) is renamed to "<name>.corrupt" if an older snapshot, or the
// whole journal, holds what it held (the journal reaches back to that
// older one). A snapshot that fails its checks is only reported: Open
// passes over it for an older one. If the journal does not reach back to
// the snapshot Open can restore (its beginning is missing, or the newest
// snapshot, after which the journal was compacted, is damaged), the records
// in between exist nowhere Repair can get them from: Repair changes
// nothing and fails with ErrCorrupt, and RepairReport.Unrepairable says
// why. Restore the directory from a backup then.
//
// No store may be open on dir: Repair takes the directory's lock and fails
// with ErrLocked if a store (in this process or another) holds it. A store
// that is not corrupt is left as it is, and the report says so (Damage is
// nil); a torn tail, the normal remains of a crash, is left for Open to cut.
// Repair refuses, changing nothing, a directory holding segments or
// snapshots of a newer format version that Open would read (ErrVersion).
// A dir that is not a directory gives ErrBadDir.
//
// Repair checks records the way a DB replays them, so a record whose
// checksums pass but which does not decode counts as damage. In the
// directory of a System (marked by its SYSTEM file) it cannot decode the
// user's commands and state, so it judges them by their checksums and
// sequence numbers alone.
//
// Run Check first to see what Repair would do.
func Repair(dir string) (RepairReport, error) {
	return repair(dir, false)
}

// Check reads the store in dir and reports what Repair would do, changing
// nothing: RepairReport.Damage is nil for a store Open accepts (a torn tail,
// which Open cuts, is reported in Torn; so is a damaged snapshot that Open
// passes over, in Snapshots). When Open would fail and Repair cannot help,
// Check reports that in RepairReport.Unrepairable, with Damage set, rather
// than failing. It takes the directory's lock for the time it reads, so it
// fails with ErrLocked while a store is open on dir. Its other errors are
// those of Repair.
func Check(dir string) (RepairReport, error) {
	return repair(dir, true)
}

func repair(dir string, dryRun bool) (RepairReport, error) {
	if dir == "" {
		return RepairReport{DryRun: dryRun}, fmt.Errorf("%w: no directory given", ErrBadDir)
	}
	// Snapshots are restored and records checked the way Open restores
	// and replays them, so that a snapshot or a record whose checksums
	// pass but whose contents do not decode counts as damage here too.
	eng := store.NewKVEngine(store.NewKV(0))
	ropts := journal.RepairOptions{
		DryRun:   dryRun,
		Validate: eng.Replay,
		Restore:  func(s *journal.Snapshot) error { return restore(eng, s) },
	}
	// A path that is not a directory is named as such, not by the first
	// file looked for in it.
	if err := checkDir(vfs.OS, dir); err != nil {
		return RepairReport{DryRun: dryRun}, err
	}
	system, err := isSystemDir(vfs.OS, dir)
	if err != nil {
		return RepairReport{DryRun: dryRun}, err
	}
	if system {
		// A System's records are the user's own: judge them by their
		// checksums and sequence numbers alone.
		ropts.Validate = nil
		ropts.Restore = func(*journal.Snapshot) error { return nil }
	}
	rep, err := journal.Repair(vfs.OS, dir, ropts)
	if err != nil {
		op := "repair"
		if dryRun {
			op = "check"
		}
		return rep, dirErr(op, dir, err)
	}
	return rep, nil
}

// Prune removes every snapshot file of the store in dir but the newest keep
// (at least one), as DB.PruneSnapshots does for an open store, and returns
// the paths it removed, oldest first (also on error). No store may be open
// on dir: like Repair, Prune takes the directory's lock and fails with
// ErrLocked if a store holds it.
//
// It will not remove the snapshot the store restores: if none of the
// newest keep snapshots passes its checks, while older ones exist, it
// removes nothing and fails with ErrCorrupt (run Check to see them). A
// kept snapshot of a newer format version makes it fail with ErrVersion.
// A dir that is not a directory gives ErrBadDir.
func Prune(dir string, keep int) ([]string, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no directory given", ErrBadDir)
	}
	if keep < 1 {
		return nil, fmt.Errorf("%w: keep %d snapshots: at least 1", ErrInvalidOptions, keep)
	}
	removed, err := journal.PruneDir(vfs.OS, dir, keep)
	if err != nil {
		return removed, dirErr("prune", dir, err)
	}
	return removed, nil
}
