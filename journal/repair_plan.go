package journal

import (
	"errors"
	"strconv"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// What one pass of Repair sets aside, worked out before anything changes.

// repairShape says how a repair sets the log aside.
type repairShape int

const (
	// cutAtDamage cuts the damaged segment at the damage and sets aside
	// every later segment.
	cutAtDamage repairShape = iota
	// dropCovered sets aside the damaged segment and every earlier one,
	// all covered by the snapshot, and keeps the later ones.
	dropCovered
	// dropAll sets aside every segment: the snapshot holds all that is
	// kept.
	dropAll
)

// repairPlan is what one pass of Repair sets aside.
type repairPlan struct {
	shape   repairShape
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
	pl := planner{fsys: fsys, st: st, kept: max(st.lastLSN, from)}
	p := &pl.p
	n := len(st.segs)
	switch {
	case st.damage == nil:
		// A sound log that ends before the snapshot: it holds nothing
		// the snapshot does not.
		p.shape = dropAll
		return pl.p, pl.wholeRange(0, n)
	case st.bad+1 < n && st.segs[st.bad+1].lsn <= from+1 && st.lastLSN <= from:
		// The damaged segment ends where the next one starts, at or
		// before the snapshot: the snapshot holds all it held.
		p.shape, p.keep = dropCovered, st.bad+1
		for i := p.keep; i < n; i++ {
			if _, err := pl.read(i); err != nil { // a newer version is refused now
				return pl.p, err
			}
		}
		return pl.p, pl.wholeRange(0, p.keep)
	case st.lastLSN < from:
		// Cut at the damage, the log would end before the snapshot.
		p.shape = dropAll
		if err := pl.wholeRange(st.bad+1, n); err != nil {
			return pl.p, err
		}
		return pl.p, pl.wholeRange(0, st.bad+1)
	}
	p.shape = cutAtDamage
	if err := pl.cut(); err != nil {
		return pl.p, err
	}
	return pl.p, pl.wholeRange(st.bad+1, n)
}

// planner builds a repairPlan.
type planner struct {
	fsys vfs.FS
	st   logScan
	kept uint64 // the last LSN the store keeps
	p    repairPlan
}

// read returns the image of segment i, refusing one of a newer version.
func (pl *planner) read(i int) ([]byte, error) {
	st := pl.st
	if st.damage != nil && i == st.bad {
		return st.data, nil
	}
	data, err := readSegment(pl.fsys, st.segs[i].path)
	if err != nil {
		return nil, err
	}
	if _, _, err := readHeader(st.segs[i].path, data); errors.Is(err, ErrVersion) {
		return nil, err
	}
	return data, nil
}

// whole plans to set segment i aside whole.
func (pl *planner) whole(i int) error {
	st := pl.st
	data, err := pl.read(i)
	if err != nil {
		return err
	}
	base := st.segs[i].path
	if st.damage != nil && i == st.bad {
		base += ".0"
	}
	saved, err := freeName(pl.fsys, base, corruptSuffix)
	if err != nil {
		return err
	}
	pl.p.aside = append(pl.p.aside, SetAside{File: st.segs[i].path, Bytes: int64(len(data)), SavedAs: saved})
	pl.p.bytes += int64(len(data))
	pl.p.highest = max(pl.p.highest, highestLSN(data, segmentHeaderSize, pl.kept+1))
	return nil
}

// wholeRange plans to set segments lo to hi-1 aside whole, in that order.
func (pl *planner) wholeRange(lo, hi int) error {
	for i := lo; i < hi; i++ {
		if err := pl.whole(i); err != nil {
			return err
		}
	}
	return nil
}

// cut plans to cut the damaged segment at the damage (at 0 if it is in the
// header), saving what is cut.
func (pl *planner) cut() error {
	st := pl.st
	seg := st.segs[st.bad].path
	x := st.damage.Offset
	if x < segmentHeaderSize {
		x = 0
	}
	saved, err := freeName(pl.fsys, seg+"."+strconv.FormatInt(x, 10), corruptSuffix)
	if err != nil {
		return err
	}
	cut := st.data[x:]
	pl.p.aside = append(pl.p.aside, SetAside{File: seg, Offset: x, Bytes: int64(len(cut)), SavedAs: saved})
	pl.p.bytes += int64(len(cut))
	pl.p.highest = highestLSN(st.data, max(x, segmentHeaderSize), pl.kept+1)
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
	count := func(f decodedFrame) {
		if k := uint64(len(f.Entries)); k > 0 && f.FirstLSN >= next {
			hi = max(hi, f.FirstLSN+k-1)
		}
	}
	if start >= int64(len(data)) {
		return 0
	}
	if f, n, err := decodeFrame(data[start:]); err == nil {
		count(f) // a frame whose checksums pass: a gap, or an entry rejected
		start += int64(n)
	} else if length, ok := frameExtent(data[start:]); ok {
		start += frameHeaderSize + length
	} else {
		start++
	}
	scanCandidates(data, start, func(_ int64, f decodedFrame) bool {
		count(f)
		return false
	})
	return hi
}
