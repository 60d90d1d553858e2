package journal

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// compactFirsts are the first LSNs of the segments compaction tests build:
// entries 1..3, 4..6, 7..9 and 10..12.
var compactFirsts = []uint64{1, 4, 7, 10}

// compactLast is the LSN of the last entry of those segments.
const compactLast = 12

// compactImages returns the segment images of compactFirsts, by first LSN.
func compactImages() map[uint64][]byte {
	imgs := map[uint64][]byte{}
	for _, first := range compactFirsts {
		imgs[first] = segmentImage(first, segmentHeaderSize, entries(first, first+1), entries(first+2, first+2))
	}
	return imgs
}

// compactOthers are files beside the segments that compaction must leave
// alone.
var compactOthers = []string{snapshotName(9), segmentName(1) + ".40.torn", segmentName(4) + ".corrupt", "notes"}

// writeCompactDir writes the segments of compactImages and compactOthers
// into dir on fsys, all durable.
func writeCompactDir(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	require.NoError(t, fsys.MkdirAll(dir))
	files := map[string][]byte{}
	for first, img := range compactImages() {
		files[segmentName(first)] = img
	}
	for _, name := range compactOthers {
		files[name] = []byte("not a segment")
	}
	for name, data := range files {
		require.NoError(t, writeFile(fsys, filepath.Join(dir, name), data))
	}
	require.NoError(t, fsys.SyncDir(dir))
	require.NoError(t, fsys.SyncDir(filepath.Dir(dir)))
}

// remainingSegments returns the first LSNs of the segments in dir.
func remainingSegments(t testing.TB, fsys vfs.FS, dir string) []uint64 {
	t.Helper()
	segs, err := listSegments(fsys, dir)
	require.NoError(t, err)
	var firsts []uint64
	for _, s := range segs {
		firsts = append(firsts, s.lsn)
	}
	return firsts
}

// requireOthersKept requires every file of compactOthers in dir.
func requireOthersKept(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	for _, name := range compactOthers {
		_, err := fsys.Stat(filepath.Join(dir, name))
		require.NoError(t, err, "%s was removed", name)
	}
}

// requireReplaysFrom opens dir with From set to upto and requires it to
// replay exactly the entries after upto, up to last.
func requireReplaysFrom(t testing.TB, fsys vfs.FS, dir string, upto, last uint64) {
	t.Helper()
	o := open(t, fsys, dir, Options{From: upto, SyncInterval: quiet})
	requireEntries(t, upto+1, last, o.replayed)
	require.Equal(t, last, o.rep.LastLSN)
	require.NoError(t, o.Close())
}

func TestCompactSegments(t *testing.T) {
	imgs := compactImages()
	tests := []struct {
		upto    uint64
		removed []uint64 // first LSNs of the segments removed
	}{
		{0, nil},
		{1, nil},
		{2, nil},
		{3, []uint64{1}},
		{4, []uint64{1}},
		{5, []uint64{1}},
		{6, []uint64{1, 4}},
		{8, []uint64{1, 4}},
		{9, []uint64{1, 4, 7}},
		{11, []uint64{1, 4, 7}},
		{12, []uint64{1, 4, 7}}, // never the newest
		{1000, []uint64{1, 4, 7}},
		{math.MaxUint64, []uint64{1, 4, 7}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("upto %d", tt.upto), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			writeCompactDir(t, vfs.OS, dir)
			files, n, err := CompactSegments(vfs.OS, dir, tt.upto)
			require.NoError(t, err)

			var wantBytes int64
			kept := []uint64{}
			for _, first := range compactFirsts {
				if len(tt.removed) > 0 && first <= tt.removed[len(tt.removed)-1] {
					wantBytes += int64(len(imgs[first]))
				} else {
					kept = append(kept, first)
				}
			}
			require.Equal(t, len(tt.removed), files)
			require.Equal(t, wantBytes, n)
			require.Equal(t, kept, remainingSegments(t, vfs.OS, dir))
			requireOthersKept(t, vfs.OS, dir)

			if tt.upto <= compactLast {
				requireReplaysFrom(t, vfs.OS, dir, tt.upto, compactLast)
			}
			if len(tt.removed) > 0 {
				// The entries up to upto are gone for good.
				_, err := tryOpen(vfs.OS, dir, Options{})
				require.ErrorIs(t, err, ErrCorrupt)
			}
		})
	}
}

// TestCompactSegmentsJournal compacts logs written by a journal with small
// segments at many points, and reopens each from the compaction point.
func TestCompactSegmentsJournal(t *testing.T) {
	const n = 60
	src := writeLog(t, n, false, Options{SegmentSize: 200, SyncInterval: quiet})
	segs := segments(t, src)
	require.GreaterOrEqual(t, len(segs), 5, "the test needs several segments")
	var firsts []uint64
	for _, s := range segs {
		firsts = append(firsts, firstLSN(t, s))
	}

	uptos := []uint64{0, n, n + 5}
	for _, f := range firsts[1:] {
		uptos = append(uptos, f-2, f-1, f)
	}
	for _, upto := range uptos {
		t.Run(fmt.Sprintf("upto %d", upto), func(t *testing.T) {
			dir := t.TempDir()
			var wantBytes int64
			wantFiles := 0
			for i, s := range segs {
				b := readFile(t, s)
				writeFileT(t, filepath.Join(dir, filepath.Base(s)), b)
				// A segment ends just before the next one starts.
				if i+1 < len(segs) && firsts[i+1]-1 <= upto {
					wantFiles++
					wantBytes += int64(len(b))
				}
			}
			files, size, err := CompactSegments(vfs.OS, dir, upto)
			require.NoError(t, err)
			require.Equal(t, wantFiles, files)
			require.Equal(t, wantBytes, size)
			left := segments(t, dir)
			require.Len(t, left, len(segs)-wantFiles)
			require.Equal(t, filepath.Base(segs[len(segs)-1]), filepath.Base(left[len(left)-1]), "the newest is kept")
			if upto > n {
				return
			}
			o := open(t, vfs.OS, dir, Options{From: upto, SyncInterval: quiet})
			requireEntries(t, upto+1, n, o.replayed)
			require.NoError(t, put(t, o.Journal, n+1, n+1, true))
			require.NoError(t, o.Close())
			requireReplaysFrom(t, vfs.OS, dir, upto, n+1)
		})
	}
}

func TestCompactSegmentsEdges(t *testing.T) {
	t.Run("empty directory", func(t *testing.T) {
		files, n, err := CompactSegments(vfs.OS, t.TempDir(), math.MaxUint64)
		require.NoError(t, err)
		require.Zero(t, files)
		require.Zero(t, n)
	})
	t.Run("one segment", func(t *testing.T) {
		dir := t.TempDir()
		writeFileT(t, segPath(dir, 1), segmentImage(1, segmentHeaderSize, entries(1, 3)))
		files, n, err := CompactSegments(vfs.OS, dir, math.MaxUint64)
		require.NoError(t, err)
		require.Zero(t, files)
		require.Zero(t, n)
		require.Len(t, segments(t, dir), 1)
	})
	t.Run("missing directory", func(t *testing.T) {
		_, _, err := CompactSegments(vfs.OS, filepath.Join(t.TempDir(), "nope"), 5)
		require.Error(t, err)
	})
	t.Run("directory fsync only if removed", func(t *testing.T) {
		for _, tt := range []struct {
			upto  uint64
			syncs int
		}{{2, 0}, {3, 1}, {9, 1}} {
			m := vfs.NewMem()
			writeCompactDir(t, m, snapDir)
			c := &counter{}
			_, _, err := CompactSegments(&vfs.Faulty{FS: m, Inject: c.inject}, snapDir, tt.upto)
			require.NoError(t, err)
			require.Equal(t, tt.syncs, c.count(vfs.OpSyncDir), "upto %d", tt.upto)
		}
	})
}

// TestCompactDurable checks that removals survive a power loss once
// CompactSegments has returned.
func TestCompactDurable(t *testing.T) {
	m := vfs.NewMem()
	writeCompactDir(t, m, snapDir)
	files, _, err := CompactSegments(m, snapDir, 9)
	require.NoError(t, err)
	require.Equal(t, 3, files)
	img := m.Crash(vfs.CrashOptions{})
	require.Equal(t, []uint64{10}, remainingSegments(t, img, snapDir))
	requireOthersKept(t, img, snapDir)
	requireReplaysFrom(t, img, snapDir, 9, compactLast)
}

// TestCompactCrashPoints cuts the power before every file system operation
// of a compaction, and after it: every image keeps a contiguous suffix of
// the log that opens from the compaction point.
func TestCompactCrashPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for _, upto := range []uint64{3, 7, 9, 12} {
		t.Run(fmt.Sprintf("upto %d", upto), func(t *testing.T) {
			m := vfs.NewMem()
			writeCompactDir(t, m, snapDir)
			var images []*vfs.Mem
			crash := func() {
				images = append(images, m.Crash(vfs.CrashOptions{}))
				for range 3 {
					images = append(images, m.Crash(vfs.CrashOptions{Rand: rng}))
				}
			}
			fsys := &vfs.Faulty{FS: m, Inject: func(vfs.Op, string) error { crash(); return nil }}
			_, _, err := CompactSegments(fsys, snapDir, upto)
			require.NoError(t, err)
			crash()
			require.Greater(t, len(images), 4)
			last := images[len(images)-4]
			require.Equal(t, remainingSegments(t, m, snapDir), remainingSegments(t, last, snapDir), "the final state is durable")
			for _, img := range images {
				requireSuffix(t, img, snapDir)
				requireReplaysFrom(t, img, snapDir, upto, compactLast)
			}
		})
	}
}

// requireSuffix requires the segments in dir to be a contiguous suffix of
// compactFirsts.
func requireSuffix(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	got := remainingSegments(t, fsys, dir)
	require.NotEmpty(t, got)
	require.Equal(t, compactFirsts[len(compactFirsts)-len(got):], got)
}

// TestCompactFaults fails each file system operation of a compaction in
// turn: the error comes back, what was removed is a prefix of the log and
// is what the counts say, and the directory opens from the compaction
// point, and compacts to the end once the fault has healed.
func TestCompactFaults(t *testing.T) {
	const upto = 9
	imgs := compactImages()
	count := &vfs.Injector{}
	m := vfs.NewMem()
	writeCompactDir(t, m, snapDir)
	_, _, err := CompactSegments(&vfs.Faulty{FS: m, Inject: count.Inject}, snapDir, upto)
	require.NoError(t, err)
	n := count.Count()
	require.Equal(t, 1+2*3+1, n, "list, then stat and remove three segments, then sync-dir")

	for at := 1; at <= n; at++ {
		for _, lasting := range []bool{false, true} {
			m := vfs.NewMem()
			writeCompactDir(t, m, snapDir)
			in := &vfs.Injector{At: at, Lasting: lasting}
			files, size, err := CompactSegments(&vfs.Faulty{FS: m, Inject: in.Inject}, snapDir, upto)
			require.ErrorIs(t, err, vfs.ErrInjected, "fault at %s", in.Failed())

			requireSuffix(t, m, snapDir)
			left := remainingSegments(t, m, snapDir)
			gone := compactFirsts[:len(compactFirsts)-len(left)]
			require.Equal(t, len(gone), files, "fault at %s", in.Failed())
			var wantSize int64
			for _, first := range gone {
				wantSize += int64(len(imgs[first]))
			}
			require.Equal(t, wantSize, size)
			requireOthersKept(t, m, snapDir)
			requireReplaysFrom(t, m, snapDir, upto, compactLast)

			files2, _, err := CompactSegments(m, snapDir, upto)
			require.NoError(t, err)
			require.Equal(t, 3, files+files2, "fault at %s", in.Failed())
			require.Equal(t, []uint64{10}, remainingSegments(t, m, snapDir))
		}
	}
}

// TestCompactLeavesOpenJournal compacts under a journal that is open and
// has rotated: the segment being appended to stays, and the journal goes
// on writing.
func TestCompactLeavesOpenJournal(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SegmentSize: 200, SyncInterval: quiet})
	for lsn := uint64(1); lsn <= 30; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, false))
	}
	before := segments(t, dir)
	require.Greater(t, len(before), 2)
	files, _, err := CompactSegments(vfs.OS, dir, math.MaxUint64)
	require.NoError(t, err)
	require.Equal(t, len(before)-1, files)
	require.Equal(t, before[len(before)-1:], segments(t, dir))
	require.NoError(t, put(t, j.Journal, 31, 31, true))
	require.NoError(t, j.Close())

	first := firstLSN(t, before[len(before)-1])
	o := open(t, vfs.OS, dir, Options{From: first - 1})
	requireEntries(t, first, 31, o.replayed)
	_, err = os.Stat(before[0])
	require.ErrorIs(t, err, os.ErrNotExist)
}
