package journal

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"

	"github.com/hurrahdb/hurrah/internal/batch"
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
	// replay, in LSN order from the first, the way Open's replay function
	// is; an error from it makes the frame holding that entry corrupt, as
	// if its checksum had failed. It lets the caller find entries that the
	// journal frames faithfully but that do not decode (a frame whose
	// checksums pass over bad contents). It is called once per entry at
	// most, from one goroutine, and the Data it sees must not be kept.
	Validate func(batch.Entry) error
}

// RepairReport says what Repair found and what it did (or, with DryRun,
// would do).
type RepairReport struct {
	// DryRun is set when nothing was changed on purpose.
	DryRun bool

	// Damage is the corruption Repair found, the one that made Open
	// refuse the directory, or nil if the log was not corrupt. (Were a
	// second pass to find more, Damage stays the first and SetAside grows.)
	Damage *CorruptError

	// SetAside lists the pieces of the log set aside, in the order that
	// was done: the damaged segment from the damage on, then each later
	// segment whole. It is empty when the log was not corrupt.
	SetAside []SetAside
	// Bytes is the total number of bytes set aside.
	Bytes int64

	// Segments is the number of segment files the log holds after the
	// repair (not counting a newest segment whose header is torn, which
	// Open sets aside).
	Segments int
	// Entries is the number of entries the log holds after the repair.
	Entries uint64
	// LastLSN is the LSN of the last entry the log holds after the repair,
	// or 0 if it holds none. When Damage is set, LastLSN is also the last
	// LSN the log had reached before the damage: every entry after it was
	// set aside, and is lost to the store.
	LastLSN uint64
	// HighestLost is, when Damage is set, the highest LSN carried by a
	// frame that still verifies in the bytes set aside, or 0 if none
	// does. Entries LastLSN+1 to at least HighestLost were lost; the log
	// may have reached further, in frames the damage destroyed.
	HighestLost uint64

	// Torn describes a torn tail at the end of the newest segment, or is
	// nil if there is none. Repair leaves it alone: Open cuts it off and
	// saves it aside as usual, so SavedAs is empty here.
	Torn *Torn
}

// SetAside is one piece of the log that Repair set aside.
type SetAside struct {
	// File is the segment the bytes came from.
	File string
	// Offset is where in File they began: the new size of File, or 0 if
	// the whole file was set aside (renamed).
	Offset int64
	// Bytes is how many bytes were set aside.
	Bytes int64
	// SavedAs is the file that now holds them: "<segment>.<offset>.corrupt"
	// for the damaged segment, "<segment>.corrupt" for each later one,
	// with "-1", "-2"... before ".corrupt" if that name was taken.
	SavedAs string
}

// Repair makes a corrupt journal directory openable again by giving up
// every entry from the damage on. It is the explicit repair path for a
// directory that Open refuses with ErrCorrupt; it must not be used while a
// Journal has dir open, and it fails with ErrLocked if one does.
//
// Repair takes the directory lock and scans the segments as recovery does
// (see Recovery in the package documentation). If recovery would fail with a *CorruptError in segment S at
// offset X, Repair, without deleting anything:
//
//  1. writes the bytes of S from X on to "<S>.<X>.corrupt" and fsyncs it
//     (if X is within the header, S is renamed to "<S>.0.corrupt" whole
//     instead);
//  2. renames every segment after S to "<segment>.corrupt";
//  3. fsyncs the directory;
//  4. truncates S to X and fsyncs it.
//
// It then scans again, and repeats if anything is still corrupt. No name
// is ever reused: if one is taken, "-1", "-2"... goes before ".corrupt".
// Every step leaves a directory that Repair (or Open, when what is left is
// judged a torn tail) can take up again after a crash.
//
// A clean log, or one whose only fault is a torn tail (which Open handles),
// is left as it is. A segment from a newer format version anywhere in the
// directory makes Repair fail with ErrVersion before anything changes, and
// so does a log whose first segment starts after LSN 1 (with ErrCorrupt:
// what is missing is its beginning, which cutting cannot bring back). On
// any other error the report says what had been done so far.
func Repair(fsys vfs.FS, dir string, opts RepairOptions) (rep RepairReport, err error) {
	rep.DryRun = opts.DryRun
	what := "repair"
	if opts.DryRun {
		what = "check"
	}
	fi, err := fsys.Stat(dir)
	if err != nil {
		return rep, fmt.Errorf("journal: %s: %w", what, err)
	}
	if !fi.IsDir() {
		return rep, fmt.Errorf("journal: %s %s: %w", what, dir, syscall.ENOTDIR)
	}
	lock, err := lockDir(fsys, dir)
	if err != nil {
		return rep, err
	}
	defer func() {
		if cerr := lock.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("journal: unlock %s: %w", dir, cerr)
		}
	}()

	validate := opts.Validate
	for pass := 0; ; pass++ {
		st, err := scanLog(fsys, dir, validate)
		if err != nil {
			return rep, err
		}
		// What is kept from now on is a prefix of what was validated.
		validate = nil
		rep.Segments, rep.Entries, rep.LastLSN, rep.Torn = st.segments, st.entries, st.lastLSN, st.torn
		if st.damage == nil {
			return rep, nil
		}
		if rep.Damage == nil {
			rep.Damage = st.damage
		}
		if pass > len(st.segs) {
			// Each pass removes at least one segment or cuts one short,
			// so this cannot happen unless the files change under us.
			return rep, fmt.Errorf("journal: %s %s: still corrupt after %d passes: %w", what, dir, pass, st.damage)
		}
		plan, err := planRepair(fsys, st)
		if err != nil {
			return rep, err
		}
		rep.HighestLost = max(rep.HighestLost, plan.highest)
		if opts.DryRun {
			rep.SetAside = append(rep.SetAside, plan.aside...)
			rep.Bytes += plan.bytes
			return rep, nil
		}
		if err := applyRepair(fsys, dir, st, plan, &rep); err != nil {
			return rep, err
		}
	}
}

// logScan is what scanLog found in a directory.
type logScan struct {
	segs []segFile // every segment, oldest first

	// What the log holds up to the damage (or in all, without damage).
	segments int
	entries  uint64
	lastLSN  uint64
	torn     *Torn

	// The first damage, and the image of the segment that holds it.
	damage *CorruptError
	bad    int // index of that segment in segs
	data   []byte
}

// scanLog reads the segments of dir in order, as steps 2 and 3 of recovery
// do, and stops at the first corruption, if any. It changes nothing. Errors
// other than corruption in a segment (ErrVersion, a failed read, a log that
// does not start at LSN 1) are returned.
func scanLog(fsys vfs.FS, dir string, validate func(batch.Entry) error) (logScan, error) {
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return logScan{}, err
	}
	st := logScan{segs: segs}

	next := uint64(1) // LSN after the last entry seen
	for i, s := range st.segs {
		last := i == len(st.segs)-1
		data, err := fsys.ReadFile(s.path)
		if err != nil {
			return logScan{}, fmt.Errorf("journal: read %s: %w", s.path, err)
		}
		expect := next
		if i == 0 {
			expect = 0 // checked below, as recovery does
		}
		scan, err := ScanSegment(s.path, data, last, expect)
		var ce *CorruptError
		if err != nil {
			if !errors.As(err, &ce) {
				return logScan{}, err
			}
			// The frames before the damage are whole: scan them alone.
			scan = Scan{TornAt: -1}
			if ce.Offset >= HeaderSize {
				if scan, err = ScanSegment(s.path, data[:ce.Offset], true, expect); err != nil || scan.TornAt >= 0 {
					return logScan{}, fmt.Errorf("journal: rescan of %s up to %d: %v (%w)", s.path, ce.Offset, err, ce)
				}
			}
		}
		if scan.TornAt == 0 {
			st.torn = &Torn{File: s.path, Bytes: int64(len(data))}
			break // a torn header: Open sets the file aside
		}
		if i == 0 && scan.FirstLSN > 1 {
			return logScan{}, fmt.Errorf("journal: cannot repair %s: %w", dir, &CorruptError{File: s.path, Offset: 0,
				Reason: fmt.Sprintf("gap: the log starts at LSN %d: the segments before it are missing", scan.FirstLSN)})
		}
		if validate != nil {
			for j, e := range scan.Entries {
				if verr := validate(e); verr != nil {
					fr, _ := scan.frameOf(e.LSN) // scan found e, so its frame is there
					ce = &CorruptError{File: s.path, Offset: fr.Offset,
						Reason: fmt.Sprintf("entry with LSN %d: %v", e.LSN, verr)}
					scan.Entries = scan.Entries[:j-int(e.LSN-fr.FirstLSN)]
					break
				}
			}
		}
		if ce == nil || ce.Offset >= HeaderSize {
			st.segments++
			st.entries += uint64(len(scan.Entries))
			next = scan.FirstLSN + uint64(len(scan.Entries))
		}
		if ce != nil {
			st.damage, st.bad, st.data = ce, i, data
			break
		}
		if scan.TornAt > 0 {
			st.torn = &Torn{File: s.path, Offset: scan.TornAt, Bytes: int64(len(data)) - scan.TornAt}
		}
	}
	st.lastLSN = next - 1
	return st, nil
}

// repairPlan is what one pass of Repair sets aside.
type repairPlan struct {
	aside   []SetAside // the damaged segment's piece first, then later segments
	bytes   int64
	highest uint64 // highest LSN in a frame that verifies in what is set aside
}

// planRepair works out the names and sizes of what st.damage makes Repair
// set aside. It reads the later segments, and refuses with ErrVersion if one
// of them is of a newer format, but changes nothing.
func planRepair(fsys vfs.FS, st logScan) (repairPlan, error) {
	var p repairPlan
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
	if x == 0 {
		p.highest = highestLSN(st.data, HeaderSize, st.lastLSN+1)
	} else {
		p.highest = highestLSN(st.data, x, st.lastLSN+1)
	}
	for _, s := range st.segs[st.bad+1:] {
		data, err := fsys.ReadFile(s.path)
		if err != nil {
			return p, fmt.Errorf("journal: read %s: %w", s.path, err)
		}
		if _, _, err := readHeader(s.path, data); errors.Is(err, ErrVersion) {
			return p, err
		}
		saved, err := freeName(fsys, s.path, corruptSuffix)
		if err != nil {
			return p, err
		}
		p.aside = append(p.aside, SetAside{File: s.path, Bytes: int64(len(data)), SavedAs: saved})
		p.bytes += int64(len(data))
		p.highest = max(p.highest, highestLSN(data, HeaderSize, st.lastLSN+1))
	}
	return p, nil
}

// applyRepair carries out plan, recording in rep what it has done.
func applyRepair(fsys vfs.FS, dir string, st logScan, plan repairPlan, rep *RepairReport) error {
	done := func(a SetAside) {
		rep.SetAside = append(rep.SetAside, a)
		rep.Bytes += a.Bytes
	}
	first := plan.aside[0]
	if first.Offset == 0 {
		if err := fsys.Rename(first.File, first.SavedAs); err != nil {
			return fmt.Errorf("journal: set %s aside: %w", first.File, err)
		}
	} else if err := writeFile(fsys, first.SavedAs, st.data[first.Offset:]); err != nil {
		return err
	}
	done(first)
	for _, a := range plan.aside[1:] {
		if err := fsys.Rename(a.File, a.SavedAs); err != nil {
			return fmt.Errorf("journal: set %s aside: %w", a.File, err)
		}
		done(a)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	if first.Offset == 0 {
		return nil
	}
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
