package journal

import (
	"path/filepath"
	"sync/atomic"
)

// Seek marks: where in the segment being written a frame starts, with the
// LSN of its first entry, one every seekEvery bytes or so (closer in small
// segments: seekSpacing), so that a Cursor that has to read the newest
// segment starts at the last mark at or before the LSN it wants rather
// than at the segment's header. Without
// them, a watcher that fell out of the change feed's ring once read and
// scanned the whole segment (up to Options.SegmentSize, 64 MiB by default)
// to find a few thousand entries near its end: on a 2-core machine under
// load, one such read cost as much CPU time as the 40k writes of
// BenchmarkWatchWrites's run. The marks live in memory only; a cursor
// that finds none (another segment, or the part written before Open)
// reads from the header as before.

// seekEvery is the largest spacing in bytes of the marks: a cursor reads
// at most about this much before the entry it wants. Segments smaller than
// seekMarksPer of it have their marks closer (seekSpacing), so that small
// segments, as the crash harness and the fault tests use, have marks past
// their start too.
const seekEvery = 1 << 20

// A segment under seekMarksPer*seekEvery bytes has a mark every
// 1/seekMarksPer of its size (Options.SegmentSize), but no two closer than
// seekMinSpacing; there is at most one mark per write.
const (
	seekMarksPer   = 64
	seekMinSpacing = 64
)

// seekSpacing is the spacing of the marks in segments of segmentSize bytes.
func seekSpacing(segmentSize int64) int64 {
	return max(seekMinSpacing, min(seekEvery, segmentSize/seekMarksPer))
}

// seekMark is a frame's offset in its segment and its first entry's LSN.
type seekMark struct {
	lsn uint64
	off int64
}

// seekMarks are the marks of one segment, oldest first. Once published a
// value, and its marks up to their length, are never changed: the writer
// publishes a new one.
type seekMarks struct {
	name  string // the segment's file name (no directory)
	marks []seekMark
}

// seeker is the writer's side: the marks it published, which any
// goroutine may read.
type seeker struct {
	every int64 // the spacing (seekSpacing), set by Open before any mark
	cur   atomic.Pointer[seekMarks]
}

// restart publishes an empty set of marks for the segment at path.
func (s *seeker) restart(path string) {
	s.cur.Store(&seekMarks{name: filepath.Base(path)})
}

// mark records that a frame whose first entry is lsn starts at off in the
// current segment, if the last mark is s.every bytes or more before it.
// The new marks share the old ones' array: a reader of the old ones reads
// only up to their length, and the writer only appends past it.
func (s *seeker) mark(lsn uint64, off int64) {
	m := s.cur.Load()
	if m == nil {
		return
	}
	if n := len(m.marks); n > 0 && off-m.marks[n-1].off < s.every {
		return
	}
	s.cur.Store(&seekMarks{name: m.name, marks: append(m.marks, seekMark{lsn: lsn, off: off})})
}

// find returns the last mark at or before lsn in the segment at path, and
// whether there is one.
func (s *seeker) find(path string, lsn uint64) (seekMark, bool) {
	m := s.cur.Load()
	if m == nil || m.name != filepath.Base(path) {
		return seekMark{}, false
	}
	for i := len(m.marks) - 1; i >= 0; i-- {
		if m.marks[i].lsn <= lsn {
			return m.marks[i], true
		}
	}
	return seekMark{}, false
}
