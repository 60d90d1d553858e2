package journal

import (
	"slices"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// entriesRoom returns entries with room for more entries, the entries of
// the frame that ends at offset done of a segment image of total bytes.
// Once a thirty-second of the image is scanned, a slice that must grow
// grows to the count the image holds at the density seen so far, plus an
// eighth; before that, it grows as append does.
//
// Why: appending entry by entry was over half of scanSegment's time in a
// 4M-key replay (pprof: growslice), and a fixed guess of one entry per 128
// bytes was short by 5% for 16-byte keys and 100-byte values (122 bytes a
// record), so every 64 MB segment still copied a 16 MB slice into a new
// 32 MB one near its end. Extrapolating grows early, while the copies are
// small; the eighth absorbs frames of uneven size. The estimate counts
// only bytes that are there: it is never more entries than a segment of
// records as dense as those seen would hold, and it lives only as long as
// the scan.
func entriesRoom(entries []handoff.Entry, more, done, total int) []handoff.Entry {
	need := len(entries) + more
	if need <= cap(entries) {
		return entries
	}
	if done < total/32 || done <= 0 {
		return slices.Grow(entries, more)
	}
	est := int(int64(need) * int64(total) / int64(done))
	return slices.Grow(entries, max(need, est+est/8)-len(entries))
}
