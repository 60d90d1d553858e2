package hurrah

import (
	"math"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// replayRecordBytes is the size of a journal record that replayHint
// assumes: a 16-byte key and a 100-byte value take 128 bytes in a segment.
const replayRecordBytes = 128

// maxReplayHint caps the hint, so that a journal of very many small or
// overwriting records does not size a map far beyond what it fills.
const maxReplayHint = 1 << 26

// replayHint returns how many keys to size the store's map for before it
// replays the journal in dir from empty: the segments' bytes over
// replayRecordBytes, or an error from listing them (reported, like every
// I/O error, rather than hidden: the crash harness checks that).
//
// Why: Open used to replay into an empty map, which then grew and rehashed
// its way up; in a 4M-key replay that growth (maps' table.split) was about
// half of the replay's time (pprof). A map sized up front skips it. The
// estimate is low for smaller records (the map then grows the rest of the
// way, as before) and high for a journal of overwrites or deletes (room for
// at most one key per 128 journal bytes, under half the journal's size in
// memory). A snapshot knows its count, so a restore sizes its own map and
// the hint goes unused. The figures are in the README's "Restart" paragraph.
func replayHint(fsys vfs.FS, dir string) (int, error) {
	n, err := journal.SegmentBytes(fsys, dir)
	if err != nil || n <= 0 {
		return 0, err
	}
	return int(min(n/replayRecordBytes, maxReplayHint, math.MaxInt32)), nil
}
