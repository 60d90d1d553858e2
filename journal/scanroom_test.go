package journal

import (
	"testing"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// A segment of records of one size is scanned into an entries slice at
// most an eighth (plus the first frames' slack) larger than it needs: the
// slice grows to the extrapolated count early, not by doubling near the
// end. A fixed guess of one entry per 128 bytes gave 122-byte records
// twice the room, after copying half a segment's entries once more.
func TestScanSegmentSizesEntriesToTheSegment(t *testing.T) {
	entry := make([]byte, 110) // with its length and the frame, ~122 bytes
	data := appendSegmentHeader(nil, 1)
	lsn := uint64(1)
	for len(data) < 8<<20 {
		data = appendFrame(data, lsn, segmentHeaderSize, [][]byte{entry, entry, entry, entry})
		lsn += 4
	}
	scan, err := scanSegment("seg", data, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(scan.Entries)
	if n != int(lsn-1) {
		t.Fatalf("scanned %d entries, want %d", n, lsn-1)
	}
	if c := cap(scan.Entries); c > n+n/8+n/16 {
		t.Fatalf("entries capacity %d for %d entries: more than an eighth over", c, n)
	}
}

// Evenly sized frames make the slice grow only while it is small: once a
// thirty-second of the segment is seen, one growth makes room for the
// rest, so no copy near the end of the segment moves what was collected
// (a fixed guess of one entry per 128 bytes did, at 95% of a segment of
// 122-byte records).
func TestEntriesRoomGrowsEarly(t *testing.T) {
	const total, frame, perFrame = 64 << 20, 1220, 10 // 122 bytes an entry
	var entries []handoff.Entry
	grewAt := 0 // entries collected at the last growth
	for done := frame; done <= total; done += frame {
		before := cap(entries)
		entries = entriesRoom(entries, perFrame, done, total)
		if cap(entries) != before {
			grewAt = len(entries)
		}
		entries = entries[:len(entries)+perFrame]
	}
	if n := len(entries); grewAt > n/16 {
		t.Fatalf("the slice last grew with %d of %d entries collected; want within the first sixteenth", grewAt, n)
	}
	if n := len(entries); cap(entries) > n+n/8+n/16 {
		t.Fatalf("capacity %d for %d entries: more than an eighth over", cap(entries), n)
	}
}
