package journal

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Reading the log while it is written: a Cursor serves the change feed the
// entries it can no longer find in memory. It goes through scanSegment, the
// reader recovery uses, one segment at a time, and reads only up to an LSN
// its caller knows is written (WrittenLSN): the newest segment may end in a
// frame being written, which scanSegment takes for a torn tail and leaves
// out. Rotation only adds segments; compaction removes the oldest, and an
// entry it removed is an error carrying the oldest LSN the log still holds.

// ErrCompacted reports an LSN the journal no longer holds: a snapshot
// covers it and compaction has removed its segment. errors.As with a
// *CompactedError gives the oldest LSN still held.
var ErrCompacted = errors.New("journal: LSN compacted away")

// CompactedError details ErrCompacted.
type CompactedError struct {
	LSN    uint64 // the LSN asked for
	Oldest uint64 // the oldest LSN the journal still holds
}

// Error implements error.
func (e *CompactedError) Error() string {
	return fmt.Sprintf("%v: LSN %d asked for, the oldest held is %d", ErrCompacted, e.LSN, e.Oldest)
}

// Unwrap makes errors.Is(err, ErrCompacted) hold.
func (e *CompactedError) Unwrap() error { return ErrCompacted }

// Cursor reads a journal's entries back from its segments while the journal
// is open. It follows one segment at a time: it reads the segment that holds
// the LSN asked for, and then only what was appended to it since, so a
// watcher tailing the newest segment reads each byte once. It keeps only
// the entries of its last read, so its memory is bounded by the segment
// size. A Cursor is for one goroutine.
type Cursor struct {
	fs   vfs.FS
	dir  string
	seek *seeker         // the writer's marks in the newest segment
	ents []handoff.Entry // the entries of the last read, in LSN order, aliasing its bytes

	seg  string // the segment followed, or ""
	off  int64  // its size up to the end of the last whole frame read
	next uint64 // the LSN of the entry that starts at off
}

// Cursor returns a cursor over j's segments. It stays usable after Close,
// until the directory changes hands.
func (j *Journal) Cursor() *Cursor { return &Cursor{fs: j.w.fs, dir: j.w.dir, seek: &j.w.seek} }

// maxRelist bounds how often Read lists the directory again after a segment
// it listed vanished: compaction removes segments oldest first, so a second
// listing already shows the log without it.
const maxRelist = 3

// Read returns entries of the log from LSN lsn on, at most up to upto, in
// order: at least the entry lsn, and as many after it as the segment that
// holds it has. The caller guarantees lsn <= upto <= WrittenLSN. The
// entries alias memory the cursor no longer changes (it replaces it), so
// they stay valid. An lsn that compaction removed is a *CompactedError; a
// segment that does not hold what the journal wrote is ErrCorrupt.
func (c *Cursor) Read(lsn, upto uint64) ([]handoff.Entry, error) {
	if lsn == 0 || upto < lsn {
		return nil, fmt.Errorf("journal: cursor read of LSN %d up to %d", lsn, upto)
	}
	if es := c.cached(lsn, upto); es != nil {
		return es, nil
	}
	if c.seg != "" && lsn >= c.next {
		// What was appended to the segment followed since the last read
		// (the caller may have found the entries in between elsewhere:
		// reading on costs less than reading the segment again).
		if err := c.readOn(lsn); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if es := c.cached(lsn, upto); es != nil {
			return es, nil
		}
	}
	for range maxRelist {
		segs, err := listSegments(c.fs, c.dir)
		if err != nil {
			return nil, err
		}
		i := holding(segs, lsn)
		if i < 0 {
			oldest := upto + 1
			if len(segs) > 0 {
				oldest = segs[0].lsn
			}
			return nil, &CompactedError{LSN: lsn, Oldest: oldest}
		}
		err = c.readAt(segs[i].path, lsn, i < len(segs)-1)
		if errors.Is(err, fs.ErrNotExist) {
			continue // compacted since the listing
		}
		if err != nil {
			return nil, err
		}
		if es := c.cached(lsn, upto); es != nil {
			return es, nil
		}
		return nil, &CorruptError{File: segs[i].path, Offset: 0,
			Reason: fmt.Sprintf("LSN %d was written but the segment does not hold it", lsn)}
	}
	return nil, fmt.Errorf("journal: read LSN %d: segments keep vanishing under the reader", lsn)
}

// readOn reads on in the segment the cursor follows, from where its last
// read ended, or from the last seek mark at or before lsn if that is
// further on: a watcher that caught up with the ring and fell out of it
// again much later needs none of what was written in between.
func (c *Cursor) readOn(lsn uint64) error {
	if m, ok := c.seek.find(c.seg, lsn); ok && m.off > c.off {
		return c.readMark(c.seg, m, false)
	}
	return c.readSeg(c.seg, c.off, false)
}

// readAt reads segment path as readSeg does, from the last seek mark at or
// before lsn (seek.go), or from its header if there is none.
func (c *Cursor) readAt(path string, lsn uint64, whole bool) error {
	m, ok := c.seek.find(path, lsn)
	if !ok {
		return c.readSeg(path, 0, whole)
	}
	return c.readMark(path, m, whole)
}

// readMark reads segment path as readSeg does, from mark m.
func (c *Cursor) readMark(path string, m seekMark, whole bool) error {
	was := c.next
	c.next = m.lsn // what readSeg expects at m.off
	err := c.readSeg(path, m.off, whole)
	if err != nil {
		c.next = was // the cursor still follows what it did
	}
	return err
}

// readSeg reads segment path from offset off on (0: from its header) with
// scanSegment and makes its whole frames the cursor's entries. A read from
// an offset scans the bytes there behind a header of its own, made for
// the LSN expected there. whole says the segment is not the newest, so a
// damaged tail in it is corruption.
func (c *Cursor) readSeg(path string, off int64, whole bool) error {
	data, err := vfs.ReadFrom(c.fs, path, off)
	if err != nil {
		return fmt.Errorf("journal: read %s: %w", path, err)
	}
	name, expect, base := path, uint64(0), int64(0)
	if off > 0 {
		hdr := appendSegmentHeader(make([]byte, 0, segmentHeaderSize+len(data)), c.next)
		name, expect, base = fmt.Sprintf("%s@%d", path, off), c.next, off-segmentHeaderSize
		data = append(hdr, data...)
	}
	scan, err := scanSegment(name, data, !whole, expect)
	if err != nil {
		return err
	}
	end := int64(len(data))
	if scan.TornAt >= 0 {
		end = scan.TornAt // a frame being written: read it next time
	}
	if scan.TornAt == 0 {
		return &CorruptError{File: path, Offset: 0, Reason: "segment header unreadable while the journal is open"}
	}
	c.ents, c.seg, c.off = scan.Entries, path, base+end
	c.next = scan.FirstLSN + uint64(len(scan.Entries))
	return nil
}

// cached returns the entries of the last read from lsn up to upto, or nil
// if it did not hold lsn.
func (c *Cursor) cached(lsn, upto uint64) []handoff.Entry {
	if len(c.ents) == 0 {
		return nil
	}
	first := c.ents[0].LSN
	end := first + uint64(len(c.ents)) // one past the last
	if lsn < first || lsn >= end {
		return nil
	}
	return c.ents[lsn-first : min(upto+1, end)-first]
}

// holding returns the index in segs (sorted by first LSN) of the segment
// whose entries would include lsn, or -1 if lsn is before them all.
func holding(segs []segFile, lsn uint64) int {
	for i := len(segs) - 1; i >= 0; i-- {
		if segs[i].lsn <= lsn {
			return i
		}
	}
	return -1
}
