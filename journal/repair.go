package journal

import (
	"fmt"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// corruptSuffix ends the name of every file Repair sets aside.
const corruptSuffix = ".corrupt"

// RepairOptions configure Repair. The zero value repairs.
type RepairOptions struct {
	// DryRun makes Repair only report what it would do: it still takes the
	// directory lock (creating the LOCK file if it is missing) but changes
	// nothing else.
	DryRun bool

	// Validate, if not nil, is called with every entry the log would
	// replay, in LSN order from the first after the snapshot Open would
	// restore (from LSN 1 without one), the way Open's replay function
	// is; an error from it makes the frame holding that entry corrupt, as
	// if its checksum had failed. It lets the caller find entries that the
	// journal frames faithfully but that do not decode (a frame whose
	// checksums pass over bad contents). It is called once per entry at
	// most, from one goroutine, and the Data it sees must not be kept.
	Validate func(handoff.Entry) error

	// Restore, if not nil, makes Repair judge the directory as Open does
	// with Options.Restore set: snapshots count. Repair checks every
	// snapshot file (as decodeSnapshot does) and reports each in
	// RepairReport.Snapshots; it calls Restore, as Open would, with the
	// newest snapshot that passes those checks, and, if Restore refuses
	// it, with the next older one, and so on until one is accepted (so a
	// refusal must leave nothing the next call depends on); and it judges
	// the log from the accepted snapshot's LSN on. Without Restore,
	// snapshots are ignored, as Open ignores them without Options.Restore,
	// and the log must start at LSN 1.
	Restore func(*Snapshot) error
}

// Repair makes a corrupt journal directory openable again by giving up
// every entry from the damage on. It is the explicit repair path for a
// directory that Open refuses with ErrCorrupt; it must not be used while a
// Journal has dir open, and it fails with ErrLocked if one does.
//
// Repair takes the directory lock. With RepairOptions.Restore set it first
// checks the snapshots as recovery does (see RepairOptions.Restore), which
// gives S, the LSN of the snapshot Open restores (S is 0 without one, or
// without Restore). It then scans the segments as recovery does (see
// Recovery in the package documentation), skipping nothing but checking
// that the log reaches back to S+1. If recovery would fail with a
// *CorruptError in segment K at offset X, Repair, without deleting
// anything:
//
//  1. writes the bytes of K from X on to "<K>.<X>.corrupt" and fsyncs it
//     (if X is within the header, K is renamed to "<K>.0.corrupt" whole
//     instead);
//  2. renames every segment after K to "<segment>.corrupt";
//  3. fsyncs the directory;
//  4. truncates K to X and fsyncs it.
//
// A snapshot changes that in two cases, where cutting at X is not what
// keeps the most:
//
//   - If K is not the newest segment and the next one starts at or before
//     S+1, the snapshot holds all that K holds: K and every segment before
//     it are renamed, oldest first, to "<segment>.corrupt" (K to
//     "<K>.0.corrupt"), and the directory is fsynced. The later segments
//     are kept, and no entry is lost.
//   - If the log, cut at X, would end before S (Open refuses a log that
//     does not reach its snapshot), every segment is renamed the same way,
//     those after K first, then the others oldest first, and the directory
//     is fsynced: Open then starts a new log after S, which holds all that
//     the segments before X held. A log that is not damaged but ends before
//     S (a newest segment lost) is set aside whole the same way.
//
// It then scans again, and repeats if anything is still corrupt. Once the
// log is sound, a clean-close marker (closed.go) naming an LSN after its
// end (the newest segments were lost, or cut above) is renamed to name the
// log's end, and the directory fsynced: the loss is accepted. No name
// is ever reused: if one is taken, "-1", "-2"... goes before ".corrupt".
// Every step leaves a directory that Repair (or Open, when what is left is
// judged a torn tail) can take up again after a crash.
//
// A snapshot that passes its checks but that Restore refuses makes Open
// fail: Repair renames it to "<name>.corrupt", before it changes any
// segment, if the log reaches back to the next snapshot Open would then
// restore (or to LSN 1, without one). A snapshot that fails its checks is
// reported, never moved: Open passes over it.
//
// A clean log, or one whose only fault is a torn tail (which Open handles),
// is left as it is. A segment or a snapshot Open would read from a newer
// format version makes Repair fail with ErrVersion before anything
// changes. A log that does not reach back to S+1 (to LSN 1 without a
// snapshot: its beginning is missing) cannot be repaired: what is missing
// is not in the directory, and no cut brings it back; Repair changes
// nothing and fails with RepairReport.Unrepairable, which wraps ErrCorrupt
// and says why (a dry run reports it without failing); when no snapshot at
// or after the LSN before the log's start is there, it names that snapshot
// as missing, with the records it held, as Open does. On any other error
// the report says what had been done so far.
func Repair(fsys vfs.FS, dir string, opts RepairOptions) (rep RepairReport, err error) {
	rep.DryRun = opts.DryRun
	r := &repairer{fsys: fsys, dir: dir, what: "repair", validate: opts.Validate, rep: &rep}
	if opts.DryRun {
		r.what = "check"
	}
	unlock, err := lockExisting(fsys, dir, r.what)
	if err != nil {
		return rep, err
	}
	defer unlock(&err)

	if r.snapshots = opts.Restore != nil; r.snapshots {
		if r.from, r.refused, err = checkSnapshots(fsys, dir, opts.Restore, &rep); err != nil {
			return rep, err
		}
	}
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return rep, err
	}
	st, err := scanLog(fsys, segs, r.from, findDamage, nil, r.validate)
	if err != nil {
		return rep, err
	}
	if st.gap != nil {
		return rep, r.refuseGap(st)
	}
	return rep, r.passes(st)
}

// repairer is one run of Repair.
type repairer struct {
	fsys      vfs.FS
	dir       string
	what      string // "repair", or "check" for a dry run
	from      uint64 // LSN of the snapshot Open restores after the repair
	refused   []int  // indexes in rep.Snapshots of those to set aside
	snapsDone bool   // and they have been
	snapshots bool   // the snapshots were judged (RepairOptions.Restore)
	validate  func(handoff.Entry) error
	rep       *RepairReport
}

// refuseGap reports a log that does not reach back to the snapshot Open
// restores, st.gap: nothing Repair does can make it, so it changes nothing
// and fails (a dry run only reports it).
func (r *repairer) refuseGap(st logScan) error {
	r.rep.fill(st, r.from)
	gap := st.gap
	if r.snapshots {
		// Named as Open names it: a missing snapshot, not the segment.
		files := make([]SnapshotFile, len(r.rep.Snapshots))
		for i, c := range r.rep.Snapshots {
			files[i] = c.SnapshotFile
		}
		gap = missingSnapshot(r.dir, gap, st.segs[0].lsn, files)
	}
	if r.rep.Damage == nil {
		r.rep.Damage = gap
	}
	r.rep.Unrepairable = unrepairable(r.dir, gap, st.gap, r.from, r.rep)
	if r.rep.DryRun {
		return nil
	}
	return r.rep.Unrepairable
}

// passes repairs the log st describes one damage at a time, scanning it
// again after each, until Open would accept it.
func (r *repairer) passes(st logScan) error {
	pass0 := len(st.segs)
	for pass := 0; ; pass++ {
		r.rep.fill(st, r.from)
		damage := st.damage
		if damage == nil {
			damage = st.shortOf(r.from)
		}
		if damage == nil {
			if err := r.snapshotsAside(); err != nil {
				return err
			}
			return r.acceptLoss()
		}
		if r.rep.Damage == nil {
			r.rep.Damage = damage
		}
		if pass > pass0 {
			// Each pass removes at least one segment or cuts one short,
			// so this cannot happen unless the files change under us.
			return fmt.Errorf("journal: %s %s: still corrupt after %d passes: %w", r.what, r.dir, pass, damage)
		}
		plan, err := planRepair(r.fsys, st, r.from)
		if err != nil {
			return err
		}
		r.rep.HighestLost = max(r.rep.HighestLost, plan.highest)
		// Snapshots are set aside before any segment changes, and only
		// once the first plan for the log is made: that plan may still
		// refuse.
		if err := r.snapshotsAside(); err != nil {
			return err
		}
		var segs []segFile
		if r.rep.DryRun {
			if segs = r.pretend(st, plan); segs == nil {
				return nil
			}
		} else if segs, err = r.apply(st, plan); err != nil {
			return err
		}
		if st, err = scanLog(r.fsys, segs, r.from, findDamage, nil, r.validate); err != nil {
			return err
		}
		if st.gap != nil {
			// Nothing Repair does moves the start of the log past S+1.
			return fmt.Errorf("journal: %s %s: %w", r.what, r.dir, st.gap)
		}
	}
}

// acceptLoss, once the log is sound, compares its end with the clean-close
// marker (closed.go): a log that ends before it lost whole files, which
// Open refuses, and Repair accepts by moving the marker to the log's end.
func (r *repairer) acceptLoss() error {
	markers, err := listClosed(r.fsys, r.dir)
	if err != nil {
		return err
	}
	lost := lostFiles(r.dir, markers, r.rep.LastLSN)
	if lost != nil && r.rep.Damage == nil {
		r.rep.Damage = lost
	}
	if r.rep.DryRun || closedLSN(markers) <= r.rep.LastLSN {
		return nil
	}
	return markClosed(r.fsys, r.dir, markers, r.rep.LastLSN)
}

// snapshotsAside sets aside the snapshots Restore refused, once.
func (r *repairer) snapshotsAside() error {
	if r.snapsDone || len(r.refused) == 0 {
		return nil
	}
	r.snapsDone = true
	return setAsideSnapshots(r.fsys, r.dir, r.refused, r.rep)
}

// pretend records plan in the report of a dry run as if it were carried
// out, and returns the segments a next pass would scan, or nil if there is
// nothing more to scan.
func (r *repairer) pretend(st logScan, plan repairPlan) []segFile {
	r.rep.SetAside = append(r.rep.SetAside, plan.aside...)
	r.rep.Bytes += plan.bytes
	switch plan.shape {
	case dropCovered:
		// What is kept was not scanned yet: go on as if the segments
		// were set aside.
		return st.segs[plan.keep:]
	case dropAll:
		r.rep.Segments, r.rep.Entries, r.rep.FirstLSN, r.rep.LastLSN, r.rep.Torn = 0, 0, 0, r.from, nil
	}
	return nil
}

// apply carries out plan and returns the segments left.
func (r *repairer) apply(st logScan, plan repairPlan) ([]segFile, error) {
	if err := applyRepair(r.fsys, r.dir, st, plan, r.rep); err != nil {
		return nil, err
	}
	if plan.shape != dropCovered {
		// What is kept from now on is a prefix of what was validated.
		// (What dropCovered sets aside holds no entry after the
		// snapshot, so none was validated.)
		r.validate = nil
	}
	return listSegments(r.fsys, r.dir)
}
