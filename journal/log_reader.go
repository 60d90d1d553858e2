package journal

import (
	"errors"
	"fmt"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The one reader of the log. Recovery (Open) and Repair both judge a
// directory's segments with scanLog, so that they cannot judge one
// directory differently: recovery stops at the first corruption and fails
// with it, Repair records it and goes on to plan what to set aside.

// scanMode says how scanLog treats what Open refuses.
type scanMode int

const (
	// failFast is recovery's mode: the first corruption, gap or entry the
	// visitor refuses ends the scan; a corruption is returned as the error.
	failFast scanMode = iota
	// findDamage is Repair's mode: the first corruption in a segment (or
	// an entry the visitor refuses) is recorded in logScan.damage with the
	// whole frames before it, and a log that starts too late is recorded
	// in logScan.gap and scanned on, without the visitor.
	findDamage
)

// logScan is what scanLog found in a directory.
type logScan struct {
	segs []segFile // every segment scanned, oldest first

	// What the log holds up to the damage (or in all, without damage).
	segments int
	entries  uint64 // all of them, those at or below from too
	visited  uint64 // those above from, each passed to the visitor
	bytes    int64  // in the segments counted in segments
	lastLSN  uint64 // of the last entry; from if there is none after it
	newest   int    // index in segs of the newest segment counted, or -1
	newSize  int64  // and its size

	// torn is the torn tail of the newest segment (SavedAs empty), or nil;
	// tornData is that segment's image.
	torn     *SetAside
	tornData []byte

	// gap is set if the first segment starts after from+1: the log does
	// not reach back to the snapshot.
	gap *CorruptError

	// The first damage (findDamage only), and the image of the segment
	// that holds it.
	damage *CorruptError
	bad    int // index of that segment in segs
	data   []byte
}

// scanLog reads segs in order (step 3 of recovery), with From set to from:
// entries at or below from are skipped, the others passed to visit (if not
// nil) in LSN order, each run of PeekRun of them shown to peek (if not nil)
// first. It changes nothing. Errors other than corruption in a
// segment (ErrVersion, a failed read) are returned in either mode; see
// scanMode for what corruption does.
func scanLog(fsys vfs.FS, segs []segFile, from uint64, mode scanMode, peek func([]handoff.Entry), visit func(handoff.Entry) error) (logScan, error) {
	st := logScan{segs: segs, newest: -1}
	next := from + 1 // LSN after the last entry seen
	for i, s := range segs {
		data, err := readSegment(fsys, s.path)
		if err != nil {
			return logScan{}, err
		}
		expect := next
		if i == 0 {
			expect = 0 // checked against from below
		}
		scan, ce, err := scanPrefix(s.path, data, i == len(segs)-1, expect, mode)
		if err != nil {
			return logScan{}, err
		}
		if scan.TornAt == 0 {
			st.torn, st.tornData = &SetAside{File: s.path, Bytes: int64(len(data))}, data
			break // a torn header: the file is as good as absent
		}
		if i == 0 && scan.FirstLSN > from+1 {
			st.gap = &CorruptError{File: s.path, Offset: 0,
				Reason: fmt.Sprintf("gap: the log starts at LSN %d, after %d", scan.FirstLSN, from+1)}
			if mode == failFast {
				return st, nil
			}
			visit = nil // its entries do not follow what visit saw
		}
		// Entries before a damage are visited too: one the visitor
		// refuses moves the damage to its frame.
		if vce, err := st.visitAll(s.path, &scan, from, mode, peek, visit); err != nil {
			return logScan{}, err
		} else if vce != nil {
			ce = vce
		}
		if ce == nil || ce.Offset >= segmentHeaderSize {
			st.segments++
			st.entries += uint64(len(scan.Entries))
			st.bytes += int64(len(data))
			st.newest, st.newSize = i, int64(len(data))
			next = scan.FirstLSN + uint64(len(scan.Entries))
		}
		if ce != nil {
			st.damage, st.bad, st.data = ce, i, data
			break
		}
		if scan.TornAt > 0 {
			st.torn = &SetAside{File: s.path, Offset: scan.TornAt, Bytes: int64(len(data)) - scan.TornAt}
			st.tornData = data
		}
	}
	st.lastLSN = next - 1
	return st, nil
}

// readSegment returns the image of the segment file path.
func readSegment(fsys vfs.FS, path string) ([]byte, error) {
	data, err := fsys.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", path, err)
	}
	return data, nil
}

// scanPrefix is scanSegment for scanLog. In findDamage mode a corruption
// is returned as ce, with the scan of the whole frames before it (an
// empty scan if it is in the header); in failFast mode it is err.
func scanPrefix(name string, data []byte, last bool, expect uint64, mode scanMode) (_ segmentScan, ce *CorruptError, _ error) {
	scan, err := scanSegment(name, data, last, expect)
	if err == nil || mode == failFast || !errors.As(err, &ce) {
		return scan, nil, err
	}
	// The frames before the damage are whole: scan them alone.
	scan = segmentScan{TornAt: -1}
	if ce.Offset >= segmentHeaderSize {
		if scan, err = scanSegment(name, data[:ce.Offset], true, expect); err != nil || scan.TornAt >= 0 {
			return segmentScan{}, nil, fmt.Errorf("journal: rescan of %s up to %d: %v (%w)", name, ce.Offset, err, ce)
		}
	}
	return scan, ce, nil
}

// visitAll passes the entries of scan above from to visit (which may be
// nil), counting them in st.visited, and shows peek (if not nil and visit
// is not) each run of PeekRun entries before visit gets its first. An entry visit refuses is corruption
// of its frame: no torn write explains a record whose checksums pass. In
// failFast mode that is returned as the error; in findDamage mode it is
// returned as ce, and scan.Entries cut before the frame.
func (st *logScan) visitAll(path string, scan *segmentScan, from uint64, mode scanMode, peek func([]handoff.Entry), visit func(handoff.Entry) error) (ce *CorruptError, err error) {
	peeked := 0 // entries before it were shown to peek
	for j, e := range scan.Entries {
		if e.LSN <= from {
			continue // the snapshot holds it: Open skips it
		}
		if peek != nil && visit != nil && j >= peeked {
			peeked = min(j+PeekRun, len(scan.Entries))
			peek(scan.Entries[j:peeked])
		}
		if visit != nil {
			if verr := visit(e); verr != nil {
				fr, _ := scan.frameOf(e.LSN) // scan found e, so its frame is there
				if mode == failFast {
					return nil, &CorruptError{File: path, Offset: fr.Offset,
						Reason: fmt.Sprintf("replay of LSN %d failed", e.LSN), Err: verr}
				}
				scan.Entries = scan.Entries[:j-int(e.LSN-fr.FirstLSN)]
				return &CorruptError{File: path, Offset: fr.Offset,
					Reason: fmt.Sprintf("entry with LSN %d: %v", e.LSN, verr)}, nil
			}
		}
		st.visited++
	}
	return nil, nil
}

// shortOf returns the corruption of a log that ends before from, the LSN
// of the snapshot Open restores, or nil if it reaches it (or holds no
// segment: Open then starts a new one after from).
func (st *logScan) shortOf(from uint64) *CorruptError {
	if st.newest < 0 || st.lastLSN >= from {
		return nil
	}
	return &CorruptError{File: st.segs[st.newest].path, Offset: 0,
		Reason: fmt.Sprintf("gap: the log ends at LSN %d, before %d", st.lastLSN, from+1)}
}
