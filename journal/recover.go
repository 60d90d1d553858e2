package journal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Report says what recovery found when Open read a directory.
type Report struct {
	// Segments is the number of segment files replayed (a segment set
	// aside for a torn header is not counted, nor one Open created).
	Segments int
	// Entries is the number of entries passed to replay (those with an LSN
	// above Options.From).
	Entries uint64
	// LastLSN is the LSN of the last entry in the log, or Options.From if
	// the log holds none after it.
	LastLSN uint64
	// Torn describes the torn tail recovery cut off, or is nil if there
	// was none: the newest segment (File); where the cut was made (Offset:
	// the new size of File, or 0 if its header was torn and the whole file
	// was set aside); how many bytes were cut (Bytes); and the file that
	// holds them (SavedAs), named "<segment>.<offset>.torn", with "-1",
	// "-2"... before ".torn" if that name was taken.
	Torn *SetAside
	// Snapshot is the snapshot the state was restored from (zero when
	// none was), and SnapshotSize its size in bytes.
	Snapshot     SnapshotFile
	SnapshotSize int64
	// Skipped lists, newest first, the snapshots that failed their checks
	// and were passed over for an older one: each error wraps ErrCorrupt
	// and, through errors.As, gives a *CorruptError naming the file.
	Skipped []error
	// TempsRemoved is the number of temporary snapshot files removed: the
	// remains of snapshots a crash interrupted (only when Options.Restore
	// is set).
	TempsRemoved int
}

// tail is the newest segment, opened for appending, and where the log stands.
type tail struct {
	lock  io.Closer
	f     vfs.File
	size  int64  // bytes in f, all of them fsynced
	next  uint64 // LSN of the next entry
	total int64  // bytes in all the segments read

	markers []segFile // the clean-close markers found
}

// recoverDir runs steps 1 to 6 of the recovery procedure in doc.go. On error
// the lock is released and, unless the error came from the final changes
// (cutting a torn tail, opening or creating the newest segment), nothing on
// disk has changed.
func recoverDir(fsys vfs.FS, dir string, from uint64, restore func(*Snapshot) error, peek func([]handoff.Entry), replay func(handoff.Entry) error) (_ *tail, _ Report, err error) {
	// Step 1.
	if err := makeDir(fsys, dir); err != nil {
		return nil, Report{}, err
	}
	lock, err := lockDir(fsys, dir)
	if err != nil {
		return nil, Report{}, err
	}
	defer func() {
		if err != nil {
			lock.Close()
		}
	}()
	// Steps 2 to 4.
	var rep Report
	st, err := readLog(fsys, dir, from, restore, peek, replay, &rep)
	if err != nil {
		return nil, Report{}, err
	}
	markers, err := listClosed(fsys, dir)
	if err != nil {
		return nil, Report{}, err
	}
	if ce := lostFiles(dir, markers, st.lastLSN); ce != nil {
		return nil, Report{}, ce
	}
	// Step 5: everything scanned cleanly; only now does anything change.
	if restore != nil {
		if rep.TempsRemoved, err = cleanSnapshotTemps(fsys, dir); err != nil {
			return nil, Report{}, err
		}
	}
	t, err := openTail(fsys, dir, st, &rep)
	if errors.Is(err, syscall.ENOSPC) {
		// Every change openTail makes is ordered so that a failure
		// leaves what a later Open recovers from all the same.
		return nil, Report{}, fmt.Errorf("%w: %w", ErrNoSpace, err)
	}
	if err != nil {
		return nil, Report{}, err
	}
	t.lock, t.markers = lock, markers
	return t, rep, nil
}

// readLog restores the snapshot chosen by chooseSnapshot (if restore is set)
// and replays the log after it, filling rep (steps 2 and 3). It changes
// nothing on disk.
func readLog(fsys vfs.FS, dir string, from uint64, restore func(*Snapshot) error, peek func([]handoff.Entry), replay func(handoff.Entry) error, rep *Report) (logScan, error) {
	var snaps []SnapshotFile
	if restore != nil {
		var err error
		snaps, err = listSnapshots(fsys, dir)
		if err != nil {
			return logScan{}, err
		}
		ch, err := chooseSnapshot(fsys, snaps, restore, false)
		if err != nil {
			return logScan{}, err
		}
		rep.Skipped = ch.skipped
		if ch.snap != nil {
			rep.Snapshot, rep.SnapshotSize = snaps[ch.chosen], ch.snap.Size
			from = max(from, ch.snap.LSN)
		}
	}
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return logScan{}, err
	}
	st, err := scanLog(fsys, segs, from, failFast, peek, replay)
	if err != nil {
		return logScan{}, err
	}
	// A log that does not reach back to from+1, or ends before from: if
	// damaged snapshots were passed over, they are why.
	gap := st.gap
	if gap != nil && restore != nil {
		gap = missingSnapshot(dir, gap, st.segs[0].lsn, snaps)
	}
	if gap == nil {
		gap = st.shortOf(from)
	}
	if gap != nil {
		if len(rep.Skipped) > 0 {
			return logScan{}, errors.Join(append(slices.Clone(rep.Skipped), gap)...)
		}
		return logScan{}, gap
	}
	rep.Segments, rep.Entries, rep.LastLSN = st.segments, st.visited, st.lastLSN
	return st, nil
}

// missingSnapshot explains gap, a log that starts at first, after the
// snapshot Open restores, when the directory holds no snapshot at first-1
// or later: one was there, or the segments before first would not have
// been compacted away. The error then names that snapshot as missing,
// rather than the segment; otherwise gap is returned as it is. Open and
// Repair both explain a gap with it.
func missingSnapshot(dir string, gap *CorruptError, first uint64, snaps []SnapshotFile) *CorruptError {
	if n := len(snaps); n > 0 && snaps[n-1].LSN+1 >= first {
		return gap // it is there, and was passed over (Report.Skipped)
	}
	return &CorruptError{File: filepath.Join(dir, snapshotName(first-1)), Offset: 0,
		Reason: fmt.Sprintf("%s: the snapshot at LSN %d (or later), which held the records up to LSN %d, is missing",
			gap.Reason, first-1, first-1)}
}

// openTail cuts the torn tail st found, if any (step 5), and opens the
// newest segment for appending, or creates the first one (step 6).
func openTail(fsys vfs.FS, dir string, st logScan, rep *Report) (_ *tail, err error) {
	next := st.lastLSN + 1
	f, size, err := cutTorn(fsys, dir, st, rep)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && f != nil {
			f.Close()
		}
	}()
	switch {
	case f != nil:
		// The segment whose tail was cut; the sync below commits the cut.
	case st.newest >= 0:
		newest := st.segs[st.newest].path
		if f, err = fsys.OpenAppend(newest); err != nil {
			return nil, fmt.Errorf("journal: open %s: %w", newest, err)
		}
		size = st.newSize
	default:
		if f, err = createSegment(fsys, dir, next); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		return &tail{f: f, size: segmentHeaderSize, next: next, total: st.bytes}, nil
	}
	// Make what the file holds durable, and its name: a process that died
	// while creating it may have left its entry in the directory unsynced.
	// Frames written from now on may then record all of it as synced.
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("journal: sync %s: %w", f.Name(), err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	return &tail{f: f, size: size, next: next, total: st.bytes}, nil
}

// cutTorn saves the torn tail st found aside and cuts it off (step 5),
// recording that in rep.Torn. A torn header sets the whole segment aside;
// otherwise the segment is returned open for appending, with its new size.
func cutTorn(fsys vfs.FS, dir string, st logScan, rep *Report) (vfs.File, int64, error) {
	if st.torn == nil {
		return nil, 0, nil
	}
	seg, x := st.torn.File, st.torn.Offset
	saved, err := freeName(fsys, seg+"."+strconv.FormatInt(x, 10), tornSuffix)
	if err != nil {
		return nil, 0, err
	}
	rep.Torn = &SetAside{File: seg, Offset: x, Bytes: st.torn.Bytes, SavedAs: saved}
	if x < segmentHeaderSize {
		if err := fsys.Rename(seg, saved); err != nil {
			return nil, 0, fmt.Errorf("journal: set torn segment %s aside: %w", seg, err)
		}
		if err := fsys.SyncDir(dir); err != nil {
			return nil, 0, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
		return nil, 0, nil
	}
	if err := writeFile(fsys, saved, st.tornData[x:]); err != nil {
		return nil, 0, err
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, 0, fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	f, err := fsys.OpenAppend(seg)
	if err != nil {
		return nil, 0, fmt.Errorf("journal: open %s: %w", seg, err)
	}
	if err := f.Truncate(x); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("journal: cut torn tail of %s at %d: %w", seg, x, err)
	}
	return f, x, nil
}
