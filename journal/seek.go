package journal

import (
	"path/filepath"
	"sync/atomic"
)

// Seek marks: where in the segment being written a frame starts, with the
// LSN of its first entry, one every seekEvery bytes or so, so that a
// Cursor that has to read the newest segment starts at the last mark at or
// before the LSN it wants rather than at the segment's header. Without
// them, a watcher that fell out of the change feed's ring once read and
// scanned the whole segment (up to Options.SegmentSize, 64 MiB by default)
// to find a few thousand entries near its end: on a 2-core machine under
// load, one such read cost as much CPU time as the 40k writes of
// BenchmarkWatchWrites's run. The marks live in memory only; a cursor
// that finds none (another segment, or the part written before Open)
// reads from the header as before.

// seekEvery is the spacing in bytes of the marks: a cursor reads at most
// about this much before the entry it wants.
const seekEvery = 1 << 20

// seekMark is a frame's offset in its segment and its first entry's LSN.
type seekMark struct {
	lsn uint64
	off int64
}

// seekMarks are the marks of one segment, oldest first. Once published a
// value is never changed: the writer publishes a new one.
type seekMarks struct {
	name  string // the segment's file name (no directory)
	marks []seekMark
}

// seeker is the writer's side: the marks it published, which any
// goroutine may read.
type seeker struct {
	cur atomic.Pointer[seekMarks]
}

// restart publishes an empty set of marks for the segment at path.
func (s *seeker) restart(path string) {
	s.cur.Store(&seekMarks{name: filepath.Base(path)})
}

// mark records that a frame whose first entry is lsn starts at off in the
// current segment, if the last mark is seekEvery bytes or more before it.
// It costs a copy of the marks (64 of them for a 64 MiB segment) once per
// seekEvery bytes written.
func (s *seeker) mark(lsn uint64, off int64) {
	m := s.cur.Load()
	if m == nil {
		return
	}
	if n := len(m.marks); n > 0 && off-m.marks[n-1].off < seekEvery {
		return
	}
	marks := append(m.marks[:len(m.marks):len(m.marks)], seekMark{lsn: lsn, off: off})
	s.cur.Store(&seekMarks{name: m.name, marks: marks})
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
