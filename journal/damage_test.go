package journal

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The damage sweeps of this file damage the newest segment of a log at every
// byte offset of its last records and check that Open does what step 3 of
// the recovery procedure (doc.go) says: damage in the last segment at X is a
// torn tail unless a later frame that fully verifies records an fsync beyond
// X, in which case it is corruption. The expected outcome of every case is
// worked out from the log's original frames (judge), never from what Open
// returns.
//
// HURRAH_LONG=1 sweeps more records, more logs and every bit; HURRAH_SEED
// sets the seed of the garbage fills.

// longSweep reports whether HURRAH_LONG=1 asks for the long sweeps.
func longSweep() bool { return os.Getenv("HURRAH_LONG") == "1" }

// damageSeed returns the seed of the garbage fills: HURRAH_SEED if set, else
// a fixed one, so that a run is repeatable.
func damageSeed(t *testing.T) uint64 {
	t.Helper()
	s := os.Getenv("HURRAH_SEED")
	if s == "" {
		return 20240917
	}
	seed, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err, "HURRAH_SEED")
	return seed
}

// sweepSize returns how many records the sweeps damage (K) and how many the
// log holds: enough before the last K for a middle record of its own.
func sweepSize() (k, n int) {
	if longSweep() {
		return 8, 16
	}
	return 3, 8
}

// damageLog is a way of writing the log a sweep damages: n records, one
// frame each, written by a journal whose ticker never fires, so that the
// only fsyncs are the ones asked for.
type damageLog struct {
	name string
	// sync asks for an fsync after every record: each frame then records
	// the one before it as synced.
	sync bool
	// closed takes the image after a clean Close, which ends with a frame
	// with no entries recording its final fsync; otherwise the image is
	// taken while the journal is still open, as a crash leaves it.
	closed bool
}

var damageLogs = []damageLog{
	{"no fsync, closed", false, true},
	{"fsync per record, closed", true, true},
	{"no fsync, crashed", false, false},
	{"fsync per record, crashed", true, false},
}

// frameSpan is one frame of an undamaged segment image.
type frameSpan struct {
	off, end int64  // where the frame starts and ends in the image
	first    uint64 // LSN of its first entry
	entries  int    // how many entries it holds
	synced   uint64 // the synced offset it records
}

// writtenLog is the image of a log's only segment and its frames.
type writtenLog struct {
	damageLog
	img    []byte
	frames []frameSpan
	n      int // records (frames with an entry)
}

// write writes the log of n records in a fresh directory and returns its
// segment image, after checking the image is what the log's kind promises.
func (l damageLog) write(t *testing.T, n int) writtenLog {
	t.Helper()
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	for lsn := uint64(1); lsn <= uint64(n); lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, l.sync))
	}
	seg := segPath(dir, 1)
	var img []byte
	if !l.closed {
		img = readFile(t, seg)
	}
	require.NoError(t, j.Close())
	if l.closed {
		img = readFile(t, seg)
	}

	w := writtenLog{damageLog: l, img: img, n: n}
	offs := frameOffsets(t, img)
	for i := range len(offs) - 1 {
		f, _, err := decodeFrame(img[offs[i]:])
		require.NoError(t, err)
		w.frames = append(w.frames, frameSpan{off: offs[i], end: offs[i+1],
			first: f.FirstLSN, entries: len(f.Entries), synced: f.Synced})
	}

	// What the sweeps below count on, checked rather than assumed.
	wantFrames := n
	if l.closed {
		wantFrames++
	}
	require.Len(t, w.frames, wantFrames)
	for i, f := range w.frames {
		require.LessOrEqual(t, f.synced, uint64(f.off), "frame %d records an fsync of data written after it", i)
		switch {
		case i == n:
			// doc.go, Close: the marker records that all before it is synced.
			require.Zero(t, f.entries, "Close's frame")
			require.Equal(t, uint64(f.off), f.synced, "Close's frame records its final fsync")
		case i > 0 && l.sync:
			require.Equal(t, uint64(w.frames[i-1].end), f.synced, "frame %d records the fsync of the one before it", i)
		default:
			require.Equal(t, uint64(segmentHeaderSize), f.synced, "frame %d records only the header as synced", i)
		}
		if i < n {
			require.Equal(t, uint64(i+1), f.first)
			require.Equal(t, 1, f.entries)
		}
	}
	return w
}

// recordsBefore returns how many records have frames that end at or before
// x.
func (w writtenLog) recordsBefore(x int64) uint64 {
	var n uint64
	for _, f := range w.frames {
		if f.end <= x {
			n += uint64(f.entries)
		}
	}
	return n
}

// outcome is what the recovery rules say Open must do with a damaged image.
type outcome struct {
	// at is the offset of the first damaged frame: the frame holding the
	// first byte that differs from the log written (the end of the log if
	// the image only adds bytes). For a clean outcome it is the image size.
	at int64
	// clean: nothing is damaged, the image is the log cut at a frame
	// boundary (or the whole log).
	clean bool
	// corrupt: a frame after the damaged one is intact and records an
	// fsync beyond at.
	corrupt bool
	// keep is the number of entries recovered: those of the frames that
	// end at or before at.
	keep uint64
}

// judge applies step 3 of the recovery procedure to img, a damaged copy of
// the log's image, knowing the log's real frames. Forged frames (garbage that
// passes both CRC32C checksums) are not considered.
func (w writtenLog) judge(img []byte) outcome {
	d := 0 // the first byte that differs
	for d < len(img) && d < len(w.img) && img[d] == w.img[d] {
		d++
	}
	o := outcome{at: int64(len(w.img))}
	for _, f := range w.frames {
		if int64(d) < f.end {
			o.at = f.off
			break
		}
		o.keep += uint64(f.entries)
	}
	if d == len(img) && int64(d) == o.at {
		o.clean = true // a prefix of the log that ends between frames
		return o
	}
	for _, f := range w.frames {
		intact := f.off > o.at && f.end <= int64(len(img)) && bytes.Equal(img[f.off:f.end], w.img[f.off:f.end])
		if intact && f.synced > uint64(o.at) {
			o.corrupt = true
		}
	}
	return o
}

// requireOutcome opens dir, whose segment holds img, and requires Open to do
// what want says: for corruption, refuse with a *CorruptError naming the
// segment and the damaged frame and leave the directory as it was; otherwise
// replay exactly the entries before want.at, cut the tail there and keep the
// cut bytes in the .torn file (unless clean), and leave a journal that
// appends and opens again cleanly.
func requireOutcome(t *testing.T, dir string, img []byte, want outcome) {
	t.Helper()
	seg := segPath(dir, 1)
	if want.corrupt {
		before := dirImage(t, dir)
		o, err := tryOpen(vfs.OS, dir, Options{SyncInterval: quiet})
		require.ErrorIs(t, err, ErrCorrupt)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, seg, ce.File)
		require.Equal(t, want.at, ce.Offset, "%v", err)
		require.Nil(t, o.Journal)
		require.Nil(t, o.replayed, "nothing replayed from a corrupt log")
		require.Equal(t, before, dirImage(t, dir), "a failed Open changed the directory")
		return
	}

	j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	requireEntries(t, 1, want.keep, j.replayed)
	require.Equal(t, want.keep, j.rep.LastLSN)
	var saved string
	if want.clean {
		require.Nil(t, j.rep.Torn)
		require.Equal(t, []string{"00000000000000000001.wal", "LOCK"}, names(t, dir))
	} else {
		requireTornSaved(t, j.rep, seg, want.at, img[want.at:])
		saved = j.rep.Torn.SavedAs
	}
	require.Equal(t, img[:want.at], readFile(t, seg))

	next := want.keep + 1
	require.Equal(t, next, j.NextLSN())
	require.NoError(t, put(t, j.Journal, next, next+1, false))
	require.NoError(t, j.Close())

	j = open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	requireEntries(t, 1, next+1, j.replayed)
	require.Nil(t, j.rep.Torn)
	if !want.clean {
		require.Equal(t, img[want.at:], readFile(t, saved), "the cut bytes are kept")
	}
	require.NoError(t, j.Close())
}

// fillKind is one way of damaging a segment from offset x to its end.
type fillKind struct {
	name string
	// damage returns the image of the segment after the damage; rng gives
	// the garbage.
	damage func(img []byte, x int64, rng *rand.Rand) []byte
	// atEnd: x may also be the end of the image (the damage only adds
	// bytes).
	atEnd bool
}

var fillKinds = []fillKind{
	{name: "truncate", damage: func(img []byte, x int64, _ *rand.Rand) []byte {
		return bytes.Clone(img[:x])
	}},
	{name: "zero-fill to end", damage: func(img []byte, x int64, _ *rand.Rand) []byte {
		return append(bytes.Clone(img[:x]), make([]byte, int64(len(img))-x)...)
	}},
	// A file system that grew the file, here to the end of its last 4 KiB
	// block and at least one byte further, but never wrote the data.
	{name: "zero-fill past end", atEnd: true, damage: func(img []byte, x int64, _ *rand.Rand) []byte {
		size := (len(img)/4096 + 1) * 4096
		return append(bytes.Clone(img[:x]), make([]byte, int64(size)-x)...)
	}},
	{name: "garbage-fill to end", damage: func(img []byte, x int64, rng *rand.Rand) []byte {
		bad := bytes.Clone(img)
		for i := x; i < int64(len(bad)); i++ {
			bad[i] = byte(rng.Uint32())
		}
		return bad
	}},
}

// TestDamageTornTail truncates, zero-fills (to the end, and past it) and
// garbage-fills the only segment of a log from every byte offset of its last
// K records (and of Close's frame after them) to its end, for logs written
// with and without an fsync per record. It proves that Open then recovers
// exactly the records whose frames end at or before the first damaged byte,
// reports the torn tail at the first damaged frame with its bytes saved in
// the .torn file, and leaves a journal that appends and reopens cleanly. By
// step 3 every such case is a torn tail, even where the lost records had
// been fsynced: the damage runs to the end, so no frame recording an fsync
// beyond it survives to prove it.
func TestDamageTornTail(t *testing.T) {
	k, n := sweepSize()
	seed := damageSeed(t)
	t.Logf("garbage seed %d (HURRAH_SEED); last %d of %d records", seed, k, n)
	// The short run damages closed logs only: a crashed image is a closed
	// one without Close's frame, and the long run sweeps it as well.
	logs := damageLogs[:2]
	if longSweep() {
		logs = damageLogs
	}
	var written []writtenLog
	for _, l := range logs {
		written = append(written, l.write(t, n))
	}

	for ki, kind := range fillKinds {
		var tried, passed, torn atomic.Int64
		t.Run(kind.name, func(t *testing.T) {
			for _, w := range written {
				start, end := w.frames[n-k].off, int64(len(w.img))
				if kind.atEnd {
					end++
				}
				for x := start; x < end; x++ {
					rng := rand.New(rand.NewPCG(seed, uint64(ki)<<32|uint64(x)))
					img := kind.damage(w.img, x, rng)
					want := w.judge(img)
					// Nothing after the damage survives, so nothing
					// records an fsync beyond it.
					require.False(t, want.corrupt)
					if want.clean && kind.name != "truncate" {
						// A fill is clean only if its bytes all happen
						// to be the ones it overwrote.
						require.Equal(t, w.img, img, "x=%d", x)
					} else {
						// The prefix kept is the records whose frames
						// end at or before x.
						require.Equal(t, w.recordsBefore(x), want.keep, "x=%d", x)
					}
					tried.Add(1)
					t.Run(fmt.Sprintf("%s/x=%d", w.name, x), func(t *testing.T) {
						t.Parallel()
						dir := t.TempDir()
						writeFileT(t, segPath(dir, 1), img)
						requireOutcome(t, dir, img, want)
						passed.Add(1)
						if !want.clean {
							torn.Add(1)
						}
					})
				}
			}
		})
		if !t.Failed() && passed.Load() == tried.Load() {
			t.Logf("figure: damage: %s: %d offsets, exact prefix at all", kind.name, tried.Load())
			t.Logf("damage: %s: %d torn tails, %d clean cuts, over %d logs", kind.name, torn.Load(), tried.Load()-torn.Load(), len(written))
		}
	}
}

// TestDamageBitFlips flips bits in one record of a log, every byte of it,
// and opens the result. It proves that a flip in a record followed by a
// frame that records an fsync beyond it (the next record's, with an fsync
// per record, or Close's frame) is refused as ErrCorrupt, a *CorruptError
// naming the segment and the damaged frame, with the directory unchanged;
// and that a flip nothing later proves synced is a torn tail at the damaged
// frame, recovered as TestDamageTornTail requires. The short run flips one
// bit per byte, the long one every bit.
func TestDamageBitFlips(t *testing.T) {
	_, n := sweepSize()
	targets := []struct {
		name  string
		frame int // index of the frame flipped
		// corrupt says, from step 3, whether the log l must be refused:
		// is there a later frame that records an fsync beyond this one?
		corrupt func(l damageLog) bool
		closed  bool // the target exists only in closed logs
	}{
		// The next record's frame (fsync per record) or Close's frame
		// records this one as synced.
		{"middle record", n / 2, func(l damageLog) bool { return l.sync || l.closed }, false},
		// Only Close's frame comes after it, and records it as synced.
		{"last record", n - 1, func(l damageLog) bool { return l.closed }, false},
		// Nothing comes after it: its own fsync is recorded nowhere else.
		{"Close's frame", n, func(damageLog) bool { return false }, true},
	}
	bits := []int{-1} // one bit per byte, the byte's offset mod 8
	if longSweep() {
		bits = []int{0, 1, 2, 3, 4, 5, 6, 7}
	}

	// midLog counts the flips step 3 calls corruption: those in a record
	// that a later frame records as synced.
	var flips, corrupt, passed atomic.Int64
	var midLog int64
	for _, l := range damageLogs {
		w := l.write(t, n)
		t.Run(l.name, func(t *testing.T) {
			for _, tg := range targets {
				if tg.closed && !l.closed {
					continue
				}
				f := w.frames[tg.frame]
				wantCorrupt := tg.corrupt(l)
				if wantCorrupt {
					midLog += (f.end - f.off) * int64(len(bits))
				}
				for off := f.off; off < f.end; off++ {
					for _, bit := range bits {
						if bit < 0 {
							bit = int(off % 8)
						}
						img := bytes.Clone(w.img)
						img[off] ^= 1 << bit
						want := w.judge(img)
						// CRC32C catches every single-bit error, so the
						// frame is damaged, and the rule decides the rest.
						require.Equal(t, f.off, want.at)
						require.False(t, want.clean)
						require.Equal(t, wantCorrupt, want.corrupt, "%s, byte %d", tg.name, off)
						flips.Add(1)
						t.Run(fmt.Sprintf("%s/byte=%d/bit=%d", tg.name, off, bit), func(t *testing.T) {
							t.Parallel()
							dir := t.TempDir()
							writeFileT(t, segPath(dir, 1), img)
							requireOutcome(t, dir, img, want)
							passed.Add(1)
							if want.corrupt {
								corrupt.Add(1)
							}
						})
					}
				}
			}
		})
	}
	if !t.Failed() && passed.Load() == flips.Load() {
		require.Equal(t, midLog, corrupt.Load())
		t.Logf("figure: damage: bit flips: %d flips, corruption reported at all %d mid-log ones", flips.Load(), corrupt.Load())
		t.Logf("damage: bit flips: %d torn tails where nothing later records an fsync beyond the flip", flips.Load()-corrupt.Load())
	}
}
