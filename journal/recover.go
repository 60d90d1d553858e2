package journal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

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
	// was none.
	Torn *Torn
	// Snapshot is the snapshot the state was restored from (zero when
	// none was), and SnapshotSize its size in bytes.
	Snapshot     SnapshotFile
	SnapshotSize int64
	// Skipped lists, newest first, the snapshots that failed their checks
	// and were passed over for an older one: each error wraps ErrCorrupt
	// and, through errors.As, gives a *CorruptError naming the file.
	Skipped []error
}

// Torn describes a torn tail that recovery cut off the newest segment.
type Torn struct {
	// File is the path of the segment.
	File string
	// Offset is where the cut was made: the new size of File, or 0 if its
	// header was torn and the whole file was set aside.
	Offset int64
	// Bytes is how many bytes were cut.
	Bytes int64
	// SavedAs is the path of the file that holds the cut bytes, named
	// "<segment>.<offset>.torn", with "-1", "-2"... before ".torn" if that
	// name was taken.
	SavedAs string
}

// tail is the newest segment, opened for appending, and where the log stands.
type tail struct {
	lock  io.Closer
	f     vfs.File
	size  int64  // bytes in f, all of them fsynced
	next  uint64 // LSN of the next entry
	total int64  // bytes in all the segments read
}

// recoverDir runs steps 1 to 6 of the recovery procedure in doc.go. On error
// the lock is released and, unless the error came from the final changes
// (cutting a torn tail, opening or creating the newest segment), nothing on
// disk has changed.
func recoverDir(fsys vfs.FS, dir string, from uint64, restore func(*Snapshot) error, replay func(handoff.Entry) error) (_ *tail, _ Report, err error) {
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

	// Step 2.
	var rep Report
	if restore != nil {
		lsn, err := loadSnapshot(fsys, dir, restore, &rep)
		if err != nil {
			return nil, Report{}, err
		}
		from = max(from, lsn)
	}
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return nil, Report{}, err
	}
	// gap explains a log that does not reach back to from+1: if damaged
	// snapshots were passed over, they are why.
	gap := func(e *CorruptError) error {
		if len(rep.Skipped) > 0 {
			return errors.Join(append(slices.Clone(rep.Skipped), e)...)
		}
		return e
	}

	// Step 3.
	var (
		total    int64      // bytes in the segments read
		next     = from + 1 // LSN after the last entry seen
		newest   *segFile   // newest segment with a valid header
		newSize  int64      // and its size
		torn     bool       // the last segment has a torn tail
		tornScan Scan       // and this is its scan
		tornData []byte     // and its image
	)
	for i := range segs {
		s := &segs[i]
		last := i == len(segs)-1
		data, err := fsys.ReadFile(s.path)
		if err != nil {
			return nil, Report{}, fmt.Errorf("journal: read %s: %w", s.path, err)
		}
		expect := next
		if i == 0 {
			expect = 0 // checked against from below
		}
		scan, err := ScanSegment(s.path, data, last, expect)
		if err != nil {
			return nil, Report{}, err
		}
		if scan.TornAt >= 0 {
			torn, tornScan, tornData = true, scan, data
		}
		if scan.TornAt == 0 {
			break // a torn header: the file is as good as absent
		}
		if i == 0 && scan.FirstLSN > from+1 {
			return nil, Report{}, gap(&CorruptError{File: s.path, Offset: 0,
				Reason: fmt.Sprintf("gap: the log starts at LSN %d, after %d", scan.FirstLSN, from+1)})
		}
		for _, e := range scan.Entries {
			if e.LSN <= from {
				continue
			}
			if replay != nil {
				if err := replay(e); err != nil {
					// The record passed its checksums, so no torn write
					// explains it: whatever replay found wrong is corruption.
					fr, _ := scan.frameOf(e.LSN) // scan found e, so its frame is there
					return nil, Report{}, &CorruptError{File: s.path, Offset: fr.Offset,
						Reason: fmt.Sprintf("replay of LSN %d failed", e.LSN), Err: err}
				}
			}
			rep.Entries++
		}
		next = scan.FirstLSN + uint64(len(scan.Entries))
		newest, newSize = s, int64(len(data))
		rep.Segments++
		total += int64(len(data))
	}
	if newest != nil && next <= from {
		return nil, Report{}, gap(&CorruptError{File: newest.path, Offset: 0,
			Reason: fmt.Sprintf("gap: the log ends at LSN %d, before %d", next-1, from+1)})
	}
	rep.LastLSN = next - 1

	// Step 5: everything scanned cleanly; only now does anything change.
	if restore != nil {
		if _, err := CleanSnapshotTemps(fsys, dir); err != nil {
			return nil, Report{}, err
		}
	}
	var f vfs.File
	var size int64
	defer func() {
		if err != nil && f != nil {
			f.Close()
		}
	}()
	if torn {
		seg := segs[len(segs)-1].path
		x := tornScan.TornAt
		saved, err := freeName(fsys, seg+"."+strconv.FormatInt(x, 10), tornSuffix)
		if err != nil {
			return nil, Report{}, err
		}
		rep.Torn = &Torn{File: seg, Offset: x, Bytes: int64(len(tornData)) - x, SavedAs: saved}
		if x < HeaderSize {
			if err := fsys.Rename(seg, saved); err != nil {
				return nil, Report{}, fmt.Errorf("journal: set torn segment %s aside: %w", seg, err)
			}
			if err := fsys.SyncDir(dir); err != nil {
				return nil, Report{}, fmt.Errorf("journal: sync directory %s: %w", dir, err)
			}
		} else {
			if err := writeFile(fsys, saved, tornData[x:]); err != nil {
				return nil, Report{}, err
			}
			if err := fsys.SyncDir(dir); err != nil {
				return nil, Report{}, fmt.Errorf("journal: sync directory %s: %w", dir, err)
			}
			if f, err = fsys.OpenAppend(seg); err != nil {
				return nil, Report{}, fmt.Errorf("journal: open %s: %w", seg, err)
			}
			if err := f.Truncate(x); err != nil {
				return nil, Report{}, fmt.Errorf("journal: cut torn tail of %s at %d: %w", seg, x, err)
			}
			size = x
		}
	}

	// Step 6.
	switch {
	case f != nil:
		// The segment whose tail was cut; the sync below commits the cut.
	case newest != nil:
		if f, err = fsys.OpenAppend(newest.path); err != nil {
			return nil, Report{}, fmt.Errorf("journal: open %s: %w", newest.path, err)
		}
		size = newSize
	default:
		if f, err = createSegment(fsys, dir, next); err != nil {
			return nil, Report{}, fmt.Errorf("journal: %w", err)
		}
		return &tail{lock: lock, f: f, size: HeaderSize, next: next, total: total}, rep, nil
	}
	// Make what the file holds durable, and its name: a process that died
	// while creating it may have left its entry in the directory unsynced.
	// Frames written from now on may then record all of it as synced.
	if err := f.Sync(); err != nil {
		return nil, Report{}, fmt.Errorf("journal: sync %s: %w", f.Name(), err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return nil, Report{}, fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	return &tail{lock: lock, f: f, size: size, next: next, total: total}, rep, nil
}

// loadSnapshot restores the newest snapshot in dir that passes its checks
// (step 2) and returns its LSN, or 0 if there is none. Snapshots that fail
// are recorded in rep.Skipped.
func loadSnapshot(fsys vfs.FS, dir string, restore func(*Snapshot) error, rep *Report) (uint64, error) {
	snaps, err := ListSnapshots(fsys, dir)
	if err != nil {
		return 0, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		s, err := ReadSnapshot(fsys, snaps[i].Path)
		if errors.Is(err, ErrCorrupt) {
			rep.Skipped = append(rep.Skipped, err)
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := restore(s); err != nil {
			// The file passed its checksums: whatever restore found
			// wrong is corruption.
			return 0, &CorruptError{File: s.Path, Offset: 0, Reason: "restoring the snapshot failed", Err: err}
		}
		rep.Snapshot, rep.SnapshotSize = snaps[i], s.Size
		return s.LSN, nil
	}
	return 0, nil
}

// createSegment creates the segment for first, writes its header and makes
// both durable: the file with an fsync, its name with an fsync of dir.
func createSegment(fsys vfs.FS, dir string, first uint64) (vfs.File, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := fsys.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(AppendSegmentHeader(nil, first)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write header of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return f, nil
}

// writeFile creates name holding data, fsynced.
func writeFile(fsys vfs.FS, name string, data []byte) error {
	f, err := fsys.Create(name)
	if err != nil {
		return fmt.Errorf("journal: create %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: write %s: %w", name, err)
	}
	return nil
}
