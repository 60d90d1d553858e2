package journal

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

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
	// snapshot file (as ReadSnapshot does) and reports each in
	// RepairReport.Snapshots; it calls Restore, as Open would, with the
	// newest snapshot that passes those checks, and, if Restore refuses
	// it, with the next older one, and so on until one is accepted (so a
	// refusal must leave nothing the next call depends on); and it judges
	// the log from the accepted snapshot's LSN on. Without Restore,
	// snapshots are ignored, as Open ignores them without Options.Restore,
	// and the log must start at LSN 1.
	Restore func(*Snapshot) error
}

// RepairReport says what Repair found and what it did (or, with DryRun,
// would do).
type RepairReport struct {
	// DryRun is set when nothing was changed on purpose.
	DryRun bool

	// Damage is the corruption Repair found, the one that made Open
	// refuse the directory, or nil if Open accepts it: damage in a
	// segment; a log that does not reach back to the snapshot Open
	// restores, or ends before it; or a snapshot that passes its checks
	// but that RepairOptions.Restore refuses (Damage.File is then the
	// snapshot), which Open meets first. (Were a second pass to find
	// more, Damage stays the first and SetAside grows.)
	Damage *CorruptError

	// SetAside lists the pieces of the log set aside, in the order that
	// was done (see Repair): usually the damaged segment from the damage
	// on, then each later segment whole. It is empty when the log was not
	// corrupt.
	SetAside []SetAside
	// Bytes is the total number of bytes of SetAside.
	Bytes int64

	// Segments is the number of segment files the log holds after the
	// repair (not counting a newest segment whose header is torn, which
	// Open sets aside).
	Segments int
	// Entries is the number of entries the log holds after the repair,
	// counting those the restored snapshot holds too (Open skips them).
	Entries uint64
	// FirstLSN is the LSN the log's first segment starts at after the
	// repair (the LSN in its name), or 0 if the log then has no segment
	// (Open creates one). Open needs the log to reach back to the
	// snapshot it restores: FirstLSN must be at most Restored.LSN+1 (1
	// without a snapshot); when it is not, Damage and Unrepairable say so.
	FirstLSN uint64
	// LastLSN is the last LSN the store holds after the repair: that of
	// the last entry of the log, or, if the log holds none after it, that
	// of the snapshot Open restores, or 0. When Damage is set, every entry
	// after LastLSN was set aside (or, with Unrepairable, is out of
	// reach), and is lost to the store.
	LastLSN uint64
	// HighestLost is, when Damage is set, the highest LSN above LastLSN
	// carried by a frame that still verifies in the bytes set aside, or 0
	// if none does. Entries LastLSN+1 to at least HighestLost were lost;
	// the log may have reached further, in frames the damage destroyed.
	HighestLost uint64

	// Torn describes a torn tail at the end of the newest segment, or is
	// nil if there is none. Repair leaves it alone: Open cuts it off and
	// saves it aside as usual, so SavedAs is empty here.
	Torn *SetAside

	// Snapshots lists every snapshot file of the directory, oldest first,
	// as Repair found it, with what its checks found. It is filled only
	// when RepairOptions.Restore is set.
	Snapshots []SnapshotCheck
	// Restored is the snapshot Open restores once the repair is made (for
	// a dry run, would restore), the newest that passes its checks and
	// that Restore accepts; or the zero SnapshotFile if there is none, and
	// Open then replays the log from LSN 1.
	Restored SnapshotFile
	// SnapshotsSetAside lists the snapshot files set aside, each renamed
	// to "<name>.corrupt" (with "-1", "-2"... before ".corrupt" if that
	// name was taken). Repair sets aside a snapshot only if Open would
	// fail on it: it passes its checks, so Open does not pass over it,
	// but Restore refuses it; and only if an older snapshot, or the whole
	// log, holds what it held, so that Open restores that one instead.
	// A snapshot that fails its checks is left where it is: Open passes
	// over it, and if the log does not reach back to an older one, setting
	// it aside would not help (see Unrepairable).
	SnapshotsSetAside []SetAside

	// Unrepairable is set, wrapping ErrCorrupt, when Open refuses the
	// directory and Repair cannot make it openable without giving up
	// records that nothing else holds and that nothing after them can do
	// without: the log does not reach back to the snapshot Open would
	// restore (its beginning is missing, or the segments before it were
	// removed after a newer snapshot that now fails its checks). It says
	// why. Repair then changes nothing and returns it as its error; a dry
	// run returns no error and reports it here. Damage is then the error
	// Open fails with, and the rest of the report describes the directory
	// as it is.
	Unrepairable error
}

// SetAside is one piece of the log, or one snapshot, set aside: a torn
// tail that recovery cut off (Report.Torn), or what Repair set aside.
type SetAside struct {
	// File is the segment (or snapshot) the bytes came from.
	File string
	// Offset is where in File they began: the new size of File, or 0 if
	// the whole file was set aside (renamed).
	Offset int64
	// Bytes is how many bytes were set aside.
	Bytes int64
	// SavedAs is the file that now holds them: "<segment>.<offset>.torn"
	// for a torn tail; for what Repair set aside,
	// "<segment>.<offset>.corrupt" for the damaged segment and
	// "<file>.corrupt" for every other one; with "-1", "-2"... before the
	// suffix if that name was taken. It is empty for a torn tail Repair
	// reports, which it leaves for Open to cut.
	SavedAs string
}

// SnapshotCheck is what Repair found about one snapshot file.
type SnapshotCheck struct {
	// SnapshotFile gives the path of the file and the LSN in its name.
	SnapshotFile
	// Count is the number of records the snapshot holds, or 0 if it fails
	// its checks.
	Count uint64
	// Size is the size of the file.
	Size int64
	// Err is why the snapshot fails the checks of ReadSnapshot (an error
	// wrapping ErrCorrupt, a *CorruptError naming the file, or, for a
	// newer format, ErrVersion), or nil if it passes them. Open passes
	// over a snapshot that fails with ErrCorrupt for the next older one.
	Err error
	// RestoreErr is, for a snapshot that passes its checks, why
	// RepairOptions.Restore refused it: a *CorruptError naming the file,
	// as Open reports it, since Open fails on such a snapshot. It is nil
	// if Restore accepted the snapshot (it is then the one in
	// RepairReport.Restored) or was not called with it: Restore is called
	// only with the snapshots Open would try, newest first, until one is
	// accepted.
	RestoreErr error
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
// It then scans again, and repeats if anything is still corrupt. No name
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
// and says why (a dry run reports it without failing). On any other error
// the report says what had been done so far.
func Repair(fsys vfs.FS, dir string, opts RepairOptions) (rep RepairReport, err error) {
	rep.DryRun = opts.DryRun
	what := "repair"
	if opts.DryRun {
		what = "check"
	}
	unlock, err := lockExisting(fsys, dir, what)
	if err != nil {
		return rep, err
	}
	defer unlock(&err)

	var (
		from    uint64 // LSN of the snapshot Open restores after the repair
		refused []int  // indexes in rep.Snapshots of those to set aside
	)
	if opts.Restore != nil {
		if from, refused, err = checkSnapshots(fsys, dir, opts.Restore, &rep); err != nil {
			return rep, err
		}
	}
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return rep, err
	}
	validate := opts.Validate
	st, err := scanLog(fsys, segs, from, findDamage, validate)
	if err != nil {
		return rep, err
	}
	if st.gap != nil {
		rep.fill(st, from)
		if rep.Damage == nil {
			rep.Damage = st.gap
		}
		rep.Unrepairable = unrepairable(dir, st.gap, from, &rep)
		if opts.DryRun {
			return rep, nil
		}
		return rep, rep.Unrepairable
	}

	// Snapshots are set aside before any segment changes, and only once
	// the first plan for the log is made: that plan may still refuse.
	snapsDone := false
	snapshotsAside := func() error {
		if snapsDone || len(refused) == 0 {
			return nil
		}
		snapsDone = true
		return setAsideSnapshots(fsys, dir, refused, &rep)
	}

	pass0 := len(segs)
	for pass := 0; ; pass++ {
		if pass > 0 {
			if st, err = scanLog(fsys, segs, from, findDamage, validate); err != nil {
				return rep, err
			}
			if st.gap != nil {
				// Nothing Repair does moves the start of the log past S+1.
				return rep, fmt.Errorf("journal: %s %s: %w", what, dir, st.gap)
			}
		}
		rep.fill(st, from)
		damage := st.damage
		if damage == nil {
			damage = st.shortOf(from)
		}
		if damage == nil {
			return rep, snapshotsAside()
		}
		if rep.Damage == nil {
			rep.Damage = damage
		}
		if pass > pass0 {
			// Each pass removes at least one segment or cuts one short,
			// so this cannot happen unless the files change under us.
			return rep, fmt.Errorf("journal: %s %s: still corrupt after %d passes: %w", what, dir, pass, damage)
		}
		plan, err := planRepair(fsys, st, from)
		if err != nil {
			return rep, err
		}
		rep.HighestLost = max(rep.HighestLost, plan.highest)
		if opts.DryRun {
			if err := snapshotsAside(); err != nil {
				return rep, err
			}
			rep.SetAside = append(rep.SetAside, plan.aside...)
			rep.Bytes += plan.bytes
			switch plan.kind {
			case dropCovered:
				// What is kept was not scanned yet: go on as if the
				// segments were set aside.
				segs = st.segs[plan.keep:]
				continue
			case dropAll:
				rep.Segments, rep.Entries, rep.FirstLSN, rep.LastLSN, rep.Torn = 0, 0, 0, from, nil
			}
			return rep, nil
		}
		if err := snapshotsAside(); err != nil {
			return rep, err
		}
		if err := applyRepair(fsys, dir, st, plan, &rep); err != nil {
			return rep, err
		}
		if plan.kind != dropCovered {
			// What is kept from now on is a prefix of what was
			// validated. (What dropCovered sets aside holds no entry
			// after the snapshot, so none was validated.)
			validate = nil
		}
		if segs, err = listSegments(fsys, dir); err != nil {
			return rep, err
		}
	}
}

// PruneDir is PruneSnapshots for a directory that no Journal has open, as
// Repair is: it takes the directory lock (creating the LOCK file if it is
// missing) for the time it works, and fails with ErrLocked if a Journal
// holds it. It returns the paths it removed, oldest first, also on error.
//
// Unlike PruneSnapshots, it reads the snapshots it would keep, newest
// first, until one passes its checks (ReadSnapshot), and refuses, removing
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
	snaps, err := ListSnapshots(fsys, dir)
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
		_, err := ReadSnapshot(fsys, snaps[i].Path)
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

// fill sets the fields of rep that describe the log from st.
func (rep *RepairReport) fill(st logScan, from uint64) {
	rep.Segments, rep.Entries, rep.LastLSN, rep.Torn = st.segments, st.entries, max(st.lastLSN, from), st.torn
	rep.FirstLSN = 0
	if st.segments > 0 {
		rep.FirstLSN = st.segs[0].lsn
	}
}

// checkSnapshots checks every snapshot of dir into rep.Snapshots and calls
// restore, newest first, as recovery does (step 2), until it accepts one,
// which it records in rep.Restored. It returns that snapshot's LSN (0 if
// none is accepted) and, newest first, the indexes in rep.Snapshots of the
// snapshots that pass their checks but that restore refused: Open fails on
// the first, which becomes rep.Damage. A snapshot Open would read that is
// of a newer format makes it fail with ErrVersion, as Open does.
func checkSnapshots(fsys vfs.FS, dir string, restore func(*Snapshot) error, rep *RepairReport) (uint64, []int, error) {
	snaps, err := ListSnapshots(fsys, dir)
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

// unrepairable explains why a log that does not reach back to from+1 (gap
// says where it starts) cannot be repaired.
func unrepairable(dir string, gap *CorruptError, from uint64, rep *RepairReport) error {
	var why strings.Builder
	if from == 0 {
		fmt.Fprintf(&why, "the log starts at LSN %d and no snapshot holds what comes before: the segments before it are missing", rep.FirstLSN)
	} else {
		fmt.Fprintf(&why, "the log starts at LSN %d, after LSN %d, the first after the newest usable snapshot %s: the records %d to %d are missing",
			rep.FirstLSN, from+1, filepath.Base(rep.Restored.Path), from+1, rep.FirstLSN-1)
	}
	for i := len(rep.Snapshots) - 1; i >= 0 && rep.Snapshots[i].LSN > from; i-- {
		c := rep.Snapshots[i]
		if err := firstErr(c.Err, c.RestoreErr); err != nil {
			fmt.Fprintf(&why, "; snapshot %s, at LSN %d, is unusable: %v", filepath.Base(c.Path), c.LSN, err)
		}
	}
	return fmt.Errorf("journal: cannot repair %s: %w", dir,
		&CorruptError{File: gap.File, Offset: 0, Reason: "gap: " + why.String()})
}

// firstErr returns the first of errs that is not nil, or nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// repairKind says how a repair sets the log aside.
type repairKind int

const (
	// cutAtDamage cuts the damaged segment at the damage and sets aside
	// every later segment.
	cutAtDamage repairKind = iota
	// dropCovered sets aside the damaged segment and every earlier one,
	// all covered by the snapshot, and keeps the later ones.
	dropCovered
	// dropAll sets aside every segment: the snapshot holds all that is
	// kept.
	dropAll
)

// repairPlan is what one pass of Repair sets aside.
type repairPlan struct {
	kind    repairKind
	aside   []SetAside // in the order they are to be set aside
	bytes   int64
	highest uint64 // highest LSN in a frame that verifies in what is set aside
	keep    int    // for dropCovered, the index in segs of the first segment kept
}

// planRepair works out what to set aside for st.damage (or, if it is nil,
// for a log that ends before from), from is the LSN of the snapshot Open
// restores, and the names and sizes. It reads the segments it does not
// hold an image of, and refuses with ErrVersion if one of the segments
// after the damage is of a newer format, but changes nothing.
func planRepair(fsys vfs.FS, st logScan, from uint64) (repairPlan, error) {
	var p repairPlan
	kept := max(st.lastLSN, from) // the last LSN the store keeps
	read := func(i int) ([]byte, error) {
		if st.damage != nil && i == st.bad {
			return st.data, nil
		}
		data, err := fsys.ReadFile(st.segs[i].path)
		if err != nil {
			return nil, fmt.Errorf("journal: read %s: %w", st.segs[i].path, err)
		}
		if _, _, err := readHeader(st.segs[i].path, data); errors.Is(err, ErrVersion) {
			return nil, err
		}
		return data, nil
	}
	// whole plans to set segment i aside whole.
	whole := func(i int) error {
		data, err := read(i)
		if err != nil {
			return err
		}
		base := st.segs[i].path
		if st.damage != nil && i == st.bad {
			base += ".0"
		}
		saved, err := freeName(fsys, base, corruptSuffix)
		if err != nil {
			return err
		}
		p.aside = append(p.aside, SetAside{File: st.segs[i].path, Bytes: int64(len(data)), SavedAs: saved})
		p.bytes += int64(len(data))
		p.highest = max(p.highest, highestLSN(data, HeaderSize, kept+1))
		return nil
	}
	wholeRange := func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := whole(i); err != nil {
				return err
			}
		}
		return nil
	}
	n := len(st.segs)
	switch {
	case st.damage == nil:
		// A sound log that ends before the snapshot: it holds nothing
		// the snapshot does not.
		p.kind = dropAll
		return p, wholeRange(0, n)
	case st.bad+1 < n && st.segs[st.bad+1].lsn <= from+1 && st.lastLSN <= from:
		// The damaged segment ends where the next one starts, at or
		// before the snapshot: the snapshot holds all it held.
		p.kind, p.keep = dropCovered, st.bad+1
		for i := p.keep; i < n; i++ {
			if _, err := read(i); err != nil { // a newer version is refused now
				return p, err
			}
		}
		return p, wholeRange(0, p.keep)
	case st.lastLSN < from:
		// Cut at the damage, the log would end before the snapshot.
		p.kind = dropAll
		if err := wholeRange(st.bad+1, n); err != nil {
			return p, err
		}
		return p, wholeRange(0, st.bad+1)
	}

	p.kind = cutAtDamage
	seg := st.segs[st.bad].path
	x := st.damage.Offset
	if x < HeaderSize {
		x = 0
	}
	saved, err := freeName(fsys, seg+"."+strconv.FormatInt(x, 10), corruptSuffix)
	if err != nil {
		return p, err
	}
	cut := st.data[x:]
	p.aside = append(p.aside, SetAside{File: seg, Offset: x, Bytes: int64(len(cut)), SavedAs: saved})
	p.bytes += int64(len(cut))
	p.highest = highestLSN(st.data, max(x, HeaderSize), kept+1)
	return p, wholeRange(st.bad+1, n)
}

// applyRepair carries out plan, recording in rep what it has done.
func applyRepair(fsys vfs.FS, dir string, st logScan, plan repairPlan, rep *RepairReport) error {
	done := func(a SetAside) {
		rep.SetAside = append(rep.SetAside, a)
		rep.Bytes += a.Bytes
	}
	cut := plan.kind == cutAtDamage && plan.aside[0].Offset > 0
	for i, a := range plan.aside {
		if i == 0 && cut {
			if err := writeFile(fsys, a.SavedAs, st.data[a.Offset:]); err != nil {
				return err
			}
		} else if err := fsys.Rename(a.File, a.SavedAs); err != nil {
			return fmt.Errorf("journal: set %s aside: %w", a.File, err)
		}
		done(a)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	if !cut {
		return nil
	}
	first := plan.aside[0]
	f, err := fsys.OpenAppend(first.File)
	if err != nil {
		return fmt.Errorf("journal: open %s: %w", first.File, err)
	}
	err = f.Truncate(first.Offset)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: cut %s at %d: %w", first.File, first.Offset, err)
	}
	return nil
}

// highestLSN returns the highest LSN of an entry in a frame at or after
// offset start of data that fully verifies and continues the log (its first
// LSN is at least next), or 0 if there is none. Like syncedBeyond, it trusts
// the extent of the frame at start if its header verifies, so entry bytes
// inside that frame (which may hold frame images) are never taken for
// frames, and it searches the rest with scanCandidates, stopping where that
// gives up. It is a lower bound, for the report only.
func highestLSN(data []byte, start int64, next uint64) uint64 {
	var hi uint64
	count := func(f Frame) {
		if k := uint64(len(f.Entries)); k > 0 && f.FirstLSN >= next {
			hi = max(hi, f.FirstLSN+k-1)
		}
	}
	if start >= int64(len(data)) {
		return 0
	}
	if f, n, err := DecodeFrame(data[start:]); err == nil {
		count(f) // a frame whose checksums pass: a gap, or an entry rejected
		start += int64(n)
	} else if length, ok := frameExtent(data[start:]); ok {
		start += FrameHeaderSize + length
	} else {
		start++
	}
	scanCandidates(data, start, func(_ int64, f Frame) bool {
		count(f)
		return false
	})
	return hi
}
