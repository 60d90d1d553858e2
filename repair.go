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
type RepairReport = journal.RepairReport

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
// No store may be open on dir: Repair takes the directory's lock and fails
// with ErrLocked if a store (in this process or another) holds it. A store
// that is not corrupt is left as it is, and the report says so (Damage is
// nil); a torn tail, the normal remains of a crash, is left for Open to cut.
// Repair refuses, changing nothing, a directory holding files of a newer
// format version (ErrVersion) or a journal whose beginning is missing
// (ErrCorrupt). A dir that is not a directory gives ErrBadDir.
//
// Run Check first to see what Repair would do.
func Repair(dir string) (RepairReport, error) {
	return repair(dir, false)
}

// Check reads the store in dir and reports what Repair would do, changing
// nothing: RepairReport.Damage is nil for a store Open accepts (a torn tail,
// which Open cuts, is reported in Torn). It takes the directory's lock for
// the time it reads, so it fails with ErrLocked while a store is open on
// dir. Its errors are those of Repair.
func Check(dir string) (RepairReport, error) {
	return repair(dir, true)
}

func repair(dir string, dryRun bool) (RepairReport, error) {
	if dir == "" {
		return RepairReport{DryRun: dryRun}, fmt.Errorf("%w: no directory given", ErrBadDir)
	}
	// Records are checked the way Open replays them, so that one whose
	// frame is intact but whose contents do not decode counts as damage
	// here too.
	eng := store.New[store.Command, store.Query, store.Result](store.NewKV(0), store.DecodeCommand, 0)
	rep, err := journal.Repair(vfs.OS, dir, journal.RepairOptions{DryRun: dryRun, Validate: eng.Replay})
	if err != nil {
		op := "repair"
		if dryRun {
			op = "check"
		}
		return rep, dirErr(op, dir, err)
	}
	return rep, nil
}
