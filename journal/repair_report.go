package journal

import (
	"fmt"
	"path/filepath"
	"strings"
)

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
	// snapshot), which Open meets first; or a log that ends before the
	// LSN the clean-close marker names (Damage.File is then the first
	// missing segment), which Repair accepts by moving the marker. (Were a second pass to find
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
	// Err is why the snapshot fails the checks of decodeSnapshot (an error
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

// fill sets the fields of rep that describe the log from st.
func (rep *RepairReport) fill(st logScan, from uint64) {
	rep.Segments, rep.Entries, rep.LastLSN, rep.Torn = st.segments, st.entries, max(st.lastLSN, from), st.torn
	rep.FirstLSN = 0
	if st.segments > 0 {
		rep.FirstLSN = st.segs[0].lsn
	}
}

// unrepairable explains why a log that does not reach back to from+1 (seg,
// the gap scanLog found, says where it starts) cannot be repaired; gap is
// seg, or the missing snapshot that explains it (missingSnapshot).
func unrepairable(dir string, gap, seg *CorruptError, from uint64, rep *RepairReport) error {
	var why strings.Builder
	switch {
	case gap != seg:
		fmt.Fprintf(&why, "the records up to LSN %d are missing: the snapshot at LSN %d (or later) that held them is not in the directory, and the log starts at LSN %d",
			rep.FirstLSN-1, rep.FirstLSN-1, rep.FirstLSN)
		if from > 0 {
			fmt.Fprintf(&why, " (the newest usable snapshot, %s, is at LSN %d)", filepath.Base(rep.Restored.Path), from)
		}
	case from == 0:
		fmt.Fprintf(&why, "the log starts at LSN %d and no snapshot holds what comes before: the segments before it are missing", rep.FirstLSN)
	default:
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
