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
// is open. It keeps the entries of one segment, the last it read, so its
// memory is bounded by the segment size. A Cursor is for one goroutine.
type Cursor struct {
	fs   vfs.FS
	dir  string
	ents []handoff.Entry // the entries of the segment read last, in LSN order, aliasing its image
}

// Cursor returns a cursor over j's segments. It stays usable after Close,
// until the directory changes hands.
func (j *Journal) Cursor() *Cursor { return &Cursor{fs: j.w.fs, dir: j.w.dir} }

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
		data, err := c.fs.ReadFile(segs[i].path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // compacted since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("journal: read %s: %w", segs[i].path, err)
		}
		scan, err := scanSegment(segs[i].path, data, i == len(segs)-1, 0)
		if err != nil {
			return nil, err
		}
		c.ents = scan.Entries
		if es := c.cached(lsn, upto); es != nil {
			return es, nil
		}
		return nil, &CorruptError{File: segs[i].path, Offset: 0,
			Reason: fmt.Sprintf("LSN %d was written but the segment does not hold it", lsn)}
	}
	return nil, fmt.Errorf("journal: read LSN %d: segments keep vanishing under the reader", lsn)
}

// cached returns the cached entries from lsn up to upto, or nil if the
// cache does not hold lsn. A cache of the newest segment that ends before
// lsn is dropped: the segment may have grown since.
func (c *Cursor) cached(lsn, upto uint64) []handoff.Entry {
	if len(c.ents) == 0 {
		return nil
	}
	first := c.ents[0].LSN
	end := first + uint64(len(c.ents)) // one past the last
	if lsn < first || lsn >= end {
		if lsn >= end {
			c.ents = nil // a later segment, or this one grown
		}
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
