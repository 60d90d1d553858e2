package journal

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// removeClosed removes the clean-close markers of dir, as a kill -9 before
// the first clean Close would have left it.
func removeClosed(t testing.TB, dir string) {
	t.Helper()
	markers, err := listClosed(vfs.OS, dir)
	require.NoError(t, err)
	for _, m := range markers {
		require.NoError(t, os.Remove(m.path))
	}
}

// closedLog writes entries 1..n with small segments and closes the journal
// cleanly, returning the directory and its segments.
func closedLog(t *testing.T, n uint64) (string, []string) {
	t.Helper()
	dir := writeLog(t, n, false, Options{SegmentSize: 200})
	segs := segments(t, dir)
	require.Greater(t, len(segs), 2)
	markers, err := listClosed(vfs.OS, dir)
	require.NoError(t, err)
	require.Equal(t, []segFile{{path: filepath.Join(dir, closedName(n)), lsn: n}}, markers)
	return dir, segs
}

// TestLostSegmentsRefused deletes the newest segments of a cleanly closed
// journal, or all of them: Open refuses with ErrCorrupt naming the first
// missing segment and changes nothing; a dry run of Repair reports it;
// Repair accepts the loss; and Open then recovers what is left.
func TestLostSegmentsRefused(t *testing.T) {
	const n = 30
	for _, lost := range []int{1, 2, -1} {
		t.Run(fmt.Sprintf("lost %d", lost), func(t *testing.T) {
			dir, segs := closedLog(t, n)
			keep := len(segs) - lost
			if lost < 0 {
				keep = 0
			}
			for _, s := range segs[keep:] {
				require.NoError(t, os.Remove(s))
			}
			last := uint64(0)
			if keep > 0 {
				last = firstLSN(t, segs[keep]) - 1
			}
			missing := segPath(dir, last+1)
			before := dirImage(t, dir)

			_, err := tryOpen(vfs.OS, dir, Options{})
			requireCorruptPath(t, err, missing)
			require.Contains(t, err.Error(), fmt.Sprintf("closed cleanly at LSN %d", n))
			require.Equal(t, before, dirImage(t, dir))

			rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: true})
			require.NoError(t, err)
			require.NotNil(t, rep.Damage)
			require.Equal(t, missing, rep.Damage.File)
			require.Equal(t, last, rep.LastLSN)
			require.Equal(t, before, dirImage(t, dir), "a dry run changes nothing")

			rep, err = Repair(vfs.OS, dir, RepairOptions{})
			require.NoError(t, err)
			require.Equal(t, missing, rep.Damage.File)
			require.Empty(t, rep.SetAside)
			o := open(t, vfs.OS, dir, Options{})
			if last > 0 {
				requireEntries(t, 1, last, o.replayed)
			} else {
				require.Empty(t, o.replayed)
			}
			require.NoError(t, put(t, o.Journal, last+1, last+1, true))
			require.NoError(t, o.Close())
			rep, err = Repair(vfs.OS, dir, RepairOptions{})
			require.NoError(t, err)
			require.Nil(t, rep.Damage, "the store is sound again")
		})
	}
}

// TestLostSegmentAfterSnapshot deletes the newest segment of a cleanly
// closed journal whose older segments a snapshot covers: the snapshot does
// not hold what the lost segment did, so Open refuses.
func TestLostSegmentAfterSnapshot(t *testing.T) {
	const n = 30
	dir, segs := closedLog(t, n)
	s := firstLSN(t, segs[2]) - 1
	require.NoError(t, trySnapshot(vfs.OS, dir, s, nil))
	_, _, err := CompactSegments(vfs.OS, dir, s)
	require.NoError(t, err)
	newest := segs[len(segs)-1]
	require.NoError(t, os.Remove(newest))
	_, err = tryOpen(vfs.OS, dir, Options{Restore: func(*Snapshot) error { return nil }})
	requireCorruptPath(t, err, newest)
}

// TestCloseCrashPoints cuts the power before and after every file system
// operation of a clean Close (which leaves the marker last): every image
// opens, with every entry synced before Close began.
func TestCloseCrashPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	for _, reopen := range []bool{false, true} {
		m := vfs.NewMem()
		const dir = "/db"
		if reopen { // a marker from an earlier Close is there, to be moved on
			j := open(t, m, dir, Options{SyncInterval: quiet, SegmentSize: 200})
			require.NoError(t, put(t, j.Journal, 1, 5, true))
			require.NoError(t, j.Close())
		}
		var images []*vfs.Mem
		armed := false
		crash := func(vfs.Op, string) error {
			if armed {
				images = append(images, m.Crash(vfs.CrashOptions{}), m.Crash(vfs.CrashOptions{Rand: rng, Tear: true}))
			}
			return nil
		}
		j := open(t, &vfs.Faulty{FS: m, Inject: crash}, dir, Options{SyncInterval: quiet, SegmentSize: 200})
		first := j.NextLSN()
		require.NoError(t, put(t, j.Journal, first, first+9, true))
		require.NoError(t, put(t, j.Journal, first+10, first+12, false))
		armed = true
		require.NoError(t, j.Close())
		armed = false
		images = append(images, m.Crash(vfs.CrashOptions{}))
		require.Greater(t, len(images), 6)
		for i, img := range images {
			o, err := tryOpen(img, dir, Options{})
			require.NoError(t, err, "image %d", i)
			require.GreaterOrEqual(t, o.rep.LastLSN, first+9, "image %d", i)
			requireEntries(t, 1, o.rep.LastLSN, o.replayed)
			require.NoError(t, o.Close())
		}
		last := images[len(images)-1]
		markers, err := listClosed(last, dir)
		require.NoError(t, err)
		require.Equal(t, []segFile{{path: dir + "/" + closedName(first+12), lsn: first + 12}}, markers,
			"once Close returns, the marker is durable")
	}
}
