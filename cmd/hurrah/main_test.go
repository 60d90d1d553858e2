package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/testkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

// runT runs the command line args and returns its exit status and output.
func runT(args ...string) (status int, stdout, stderr string) { return runBinary(args...) }

// storeOpts spreads a store over several segments, one fsynced frame per
// record.
var storeOpts = hurrah.Options{Durability: hurrah.Synced, SegmentSize: hurrah.MinSegmentSize}

// newStore writes n records to a fresh store and returns its directory and
// segments.
func newStore(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	for i := range n {
		require.NoError(t, hurrah.Set(t.Context(), db, "k"+strconv.Itoa(i), strings.Repeat("v", 200)))
	}
	require.NoError(t, db.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	slices.Sort(segs)
	require.GreaterOrEqual(t, len(segs), 3, "the test needs several segments")
	return dir, segs
}

// damage flips a bit in the payload of the middle frame of seg and returns
// the frame's offset and LSN.
func damage(t *testing.T, seg string) (int64, uint64) {
	t.Helper()
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	frames, err := testkit.Frames(b)
	require.NoError(t, err)
	f := frames[len(frames)/2]
	b[f.Off+testkit.FrameHeaderSize+1] ^= 0x20
	require.NoError(t, os.WriteFile(seg, b, 0o644))
	return f.Off, f.FirstLSN
}

// image returns every file in dir with its contents.
func image(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	img := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		img[e.Name()] = b
	}
	return img
}

func TestRepairCommandCheckSound(t *testing.T) {
	dir, segs := newStore(t, 60)
	before := image(t, dir)
	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	for _, want := range []string{
		"segments:   " + strconv.Itoa(len(segs)) + "\n",
		"records:    60\n",
		"last LSN:   60\n",
		"torn tail:  none\n",
		"corruption: none\n",
		"status:     sound\n",
	} {
		require.Contains(t, out, want)
	}
	require.Equal(t, before, image(t, dir))

	// repair on a sound store changes nothing.
	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "nothing to repair")
	require.Equal(t, before, image(t, dir))
}

func TestRepairCommandCheckTornTail(t *testing.T) {
	dir, segs := newStore(t, 60)
	last := segs[len(segs)-1]
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("torn"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "torn tail:  "+last)
	require.Contains(t, out, "4 bytes")
	require.Contains(t, out, "status:     sound\n")
}

func TestRepairCommandCheckAndRepair(t *testing.T) {
	dir, segs := newStore(t, 60)
	k := len(segs) / 2
	x, lsn := damage(t, segs[k])
	before := image(t, dir)

	status, out, errOut := runT("check", dir)
	require.Equal(t, exitDamaged, status, errOut)
	require.Contains(t, out, fmt.Sprintf("corruption: %s at offset %d: ", segs[k], x))
	require.Contains(t, out, fmt.Sprintf("last LSN:   %d (after a repair)\n", lsn-1))
	require.Contains(t, out, fmt.Sprintf("the records after LSN %d would be lost", lsn-1))
	require.Contains(t, out, fmt.Sprintf("-> %s.%d.corrupt\n", segs[k], x))
	for _, s := range segs[k+1:] {
		require.Contains(t, out, "-> "+s+".corrupt\n")
	}
	require.Equal(t, before, image(t, dir), "check changes nothing")

	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("kept:       %d records in %d segments, up to LSN %d\n", lsn-1, k+1, lsn-1))
	require.Contains(t, out, fmt.Sprintf("the records after LSN %d were lost (frames up to LSN 60", lsn-1))
	require.Contains(t, out, fmt.Sprintf("-> %s.%d.corrupt\n", segs[k], x))

	status, out, errOut = runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("last LSN:   %d\n", lsn-1))

	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	keys, err := db.Keys(t.Context())
	require.NoError(t, err)
	want := map[string]bool{}
	for i := range int(lsn - 1) {
		want["k"+strconv.Itoa(i)] = true
	}
	require.ElementsMatch(t, slices.Collect(maps.Keys(want)), keys)
	require.NoError(t, db.Close())
}

func TestRepairCommandErrors(t *testing.T) {
	dir, _ := newStore(t, 60)
	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	for _, cmd := range []string{"check", "repair", "prune"} {
		status, _, errOut := runT(cmd, dir)
		require.Equal(t, exitError, status)
		require.Contains(t, errOut, "is in use: a program has the store open")
	}
	require.NoError(t, db.Close())

	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"check"}, "usage: hurrah check DIR"},
		{[]string{"repair", dir, dir}, "usage: hurrah repair DIR"},
		{[]string{"check", "-x", dir}, "flag provided but not defined"},
		{[]string{"check", filepath.Join(dir, "missing")}, "no hurrah store in " + filepath.Join(dir, "missing") + ": it does not exist\n"},
		{[]string{"repair", filepath.Join(dir, "LOCK")}, "it is a file, not a directory\n"},
		{[]string{"prune"}, "usage: hurrah prune DIR [-keep N]"},
		{[]string{"prune", dir, "-keep", "x"}, "invalid value"},
		{[]string{"prune", "-keep", "0", dir}, "keep at least 1 snapshot"},
		{[]string{"prune", dir, dir}, "usage: hurrah prune DIR [-keep N]"},
		{[]string{"prune", filepath.Join(dir, "missing")}, "it does not exist\n"},
	}
	for _, tt := range tests {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, exitError, status, "%q", tt.args)
		require.Empty(t, out, "%q", tt.args)
		require.Contains(t, errOut, tt.want, "%q", tt.args)
	}

	status, out, _ := runT("help")
	require.Equal(t, exitOK, status)
	require.Contains(t, out, "hurrah check DIR")
	require.Contains(t, out, "hurrah prune DIR [-keep N]")
}

// snapStore writes before records to a fresh store, takes a snapshot after
// them and after each of more (writing that many records each time), then
// writes after records and closes it. It returns its directory and the LSN
// of each snapshot. The store keeps up to four snapshots.
func snapStore(t *testing.T, before int, more []int, after int) (string, []uint64) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	opts := storeOpts
	opts.KeepSnapshots = 4
	db, err := hurrah.Open(dir, &opts)
	require.NoError(t, err)
	defer db.Close()
	lsn := 0
	write := func(n int) {
		for range n {
			require.NoError(t, hurrah.Set(t.Context(), db, "k"+strconv.Itoa(lsn), strings.Repeat("v", 200)))
			lsn++
		}
	}
	var snaps []uint64
	for _, n := range append([]int{before}, more...) {
		write(n)
		require.NoError(t, db.Snapshot(t.Context()))
		snaps = append(snaps, uint64(lsn))
	}
	write(after)
	require.NoError(t, db.Close())
	return dir, snaps
}

// snapPath is the path of the snapshot at lsn in dir.
func snapPath(dir string, lsn uint64) string { return filepath.Join(dir, testkit.SnapshotName(lsn)) }

// segmentsOf lists the segments of dir, oldest first.
func segmentsOf(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	slices.Sort(segs)
	return segs
}

// requireKeys opens dir and requires it to hold exactly the keys k0 to
// k<n-1>.
func requireKeys(t *testing.T, dir string, n int) {
	t.Helper()
	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	keys, err := db.Keys(t.Context())
	require.NoError(t, err)
	var want []string
	for i := range n {
		want = append(want, "k"+strconv.Itoa(i))
	}
	require.ElementsMatch(t, want, keys)
	require.NoError(t, db.Close())
}

func TestRepairCommandCheckCompacted(t *testing.T) {
	dir, snaps := snapStore(t, 40, nil, 30)
	s := snaps[0]
	segs := segmentsOf(t, dir)
	require.Equal(t, fmt.Sprintf("%020d.wal", s+1), filepath.Base(segs[0]), "the snapshot compacted the journal")
	size := len(image(t, dir)[testkit.SnapshotName(s)])
	before := image(t, dir)

	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	for _, want := range []string{
		"snapshots:  1\n",
		fmt.Sprintf("  %s: LSN %d, %d records, %d bytes: sound, restored by opening the store\n", snapPath(dir, s), s, s, size),
		fmt.Sprintf("restore:    %s, at LSN %d\n", testkit.SnapshotName(s), s),
		fmt.Sprintf("journal:    starts at LSN %d: it reaches back to the snapshot\n", s+1),
		"segments:   " + strconv.Itoa(len(segs)) + "\n",
		"records:    30\n",
		"last LSN:   70\n",
		"corruption: none\n",
		"status:     sound\n",
	} {
		require.Contains(t, out, want)
	}

	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "nothing to repair")
	require.Equal(t, before, image(t, dir))
	requireKeys(t, dir, 70)
}

func TestRepairCommandCompactedDamage(t *testing.T) {
	dir, snaps := snapStore(t, 40, nil, 60)
	segs := segmentsOf(t, dir)
	require.GreaterOrEqual(t, len(segs), 3, "the test needs several segments after the snapshot")
	k := len(segs) / 2
	x, lsn := damage(t, segs[k])
	require.Greater(t, lsn, snaps[0]+1)

	status, out, errOut := runT("check", dir)
	require.Equal(t, exitDamaged, status, errOut)
	require.Contains(t, out, fmt.Sprintf("corruption: %s at offset %d: ", segs[k], x))
	require.Contains(t, out, fmt.Sprintf("restore:    %s, at LSN %d (after a repair)\n", testkit.SnapshotName(snaps[0]), snaps[0]))
	require.Contains(t, out, fmt.Sprintf("journal:    starts at LSN %d (after a repair): it reaches back to the snapshot\n", snaps[0]+1))
	require.Contains(t, out, fmt.Sprintf("the records after LSN %d would be lost", lsn-1))

	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("kept:       %d records in %d segments, up to LSN %d\n", lsn-1-snaps[0], k+1, lsn-1))
	require.Contains(t, out, "status:     repaired")

	status, out, errOut = runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("last LSN:   %d\n", lsn-1))
	requireKeys(t, dir, int(lsn-1))
}

func TestRepairCommandCheckSnapshots(t *testing.T) {
	t.Run("corrupt newest passed over", func(t *testing.T) {
		dir, snaps := snapStore(t, 40, nil, 30)
		// A damaged snapshot newer than the real one: opening the store
		// passes over it, and the journal reaches back to the real one.
		b := image(t, dir)[testkit.SnapshotName(snaps[0])]
		b[testkit.SnapshotHeaderSize+2] ^= 0x01
		bad := snapPath(dir, snaps[0]+10)
		require.NoError(t, os.WriteFile(bad, b, 0o644))
		before := image(t, dir)

		status, out, errOut := runT("check", dir)
		require.Equal(t, exitOK, status, errOut)
		require.Contains(t, out, "snapshots:  2\n")
		require.Regexp(t, fmt.Sprintf(`  %s: LSN %d, %d bytes: corrupt at offset \d+: .* \(opening the store passes over it\)\n`,
			bad, snaps[0]+10, len(b)), out)
		require.Contains(t, out, fmt.Sprintf("restore:    %s, at LSN %d\n", testkit.SnapshotName(snaps[0]), snaps[0]))
		require.Contains(t, out, "status:     sound\n")

		status, out, errOut = runT("repair", dir)
		require.Equal(t, exitOK, status, errOut)
		require.Contains(t, out, "nothing to repair")
		require.Equal(t, before, image(t, dir))
		requireKeys(t, dir, 70)
	})
	t.Run("newest does not restore", func(t *testing.T) {
		dir, snaps := snapStore(t, 40, nil, 30)
		// A snapshot whose checksums pass but that holds a key twice,
		// newer than the real one: opening the store fails on it.
		w, err := journal.CreateSnapshot(vfs.OS, dir, snaps[0]+10, 2)
		require.NoError(t, err)
		require.NoError(t, w.Add("k1", []byte("a")))
		require.NoError(t, w.Add("k1", []byte("b")))
		size, err := w.Commit()
		require.NoError(t, err)
		bad := snapPath(dir, snaps[0]+10)
		_, err = hurrah.Open(dir, &storeOpts)
		require.ErrorIs(t, err, hurrah.ErrCorrupt)

		status, out, errOut := runT("check", dir)
		require.Equal(t, exitDamaged, status, errOut)
		require.Contains(t, out, fmt.Sprintf("  %s: LSN %d, 2 records, %d bytes: does not restore: ", bad, snaps[0]+10, size))
		require.Contains(t, out, "(opening the store fails on it)\n")
		require.Contains(t, out, fmt.Sprintf("restore:    %s, at LSN %d (after a repair)\n", testkit.SnapshotName(snaps[0]), snaps[0]))
		require.Contains(t, out, fmt.Sprintf("corruption: %s at offset 0: restoring the snapshot failed: ", bad))
		require.Contains(t, out, fmt.Sprintf("repair would set aside snapshots:\n  %s from offset 0, %d bytes -> %s.corrupt\n", bad, size, bad))
		require.Contains(t, out, "lost:       no record\n")
		require.NotContains(t, out, "repair would set aside 0 bytes")

		status, out, errOut = runT("repair", dir)
		require.Equal(t, exitOK, status, errOut)
		require.Contains(t, out, fmt.Sprintf("set aside snapshots:\n  %s from offset 0, %d bytes -> %s.corrupt\n", bad, size, bad))
		require.Contains(t, out, "status:     repaired")
		require.NoFileExists(t, bad)
		require.FileExists(t, bad+".corrupt")
		requireKeys(t, dir, 70)
	})
	t.Run("corrupt newest the journal was compacted after", func(t *testing.T) {
		dir, snaps := snapStore(t, 30, []int{30}, 20)
		newest := snapPath(dir, snaps[1])
		b, err := os.ReadFile(newest)
		require.NoError(t, err)
		b[testkit.SnapshotHeaderSize+2] ^= 0x01
		require.NoError(t, os.WriteFile(newest, b, 0o644))
		before := image(t, dir)

		status, out, errOut := runT("check", dir)
		require.Equal(t, exitDamaged, status, errOut)
		require.Contains(t, out, fmt.Sprintf("journal:    starts at LSN %d, after LSN %d: it does not reach back to the snapshot\n",
			snaps[1]+1, snaps[0]+1))
		require.Contains(t, out, "status:     corrupt: opening the store fails\n")
		require.Contains(t, out, "repair:     cannot repair it: ")
		require.Contains(t, out, fmt.Sprintf("the records %d to %d are missing", snaps[0]+1, snaps[1]))

		status, out, errOut = runT("repair", dir)
		require.Equal(t, exitError, status)
		require.Empty(t, out)
		require.Contains(t, errOut, "cannot repair")
		require.Equal(t, before, image(t, dir), "repair changes nothing")
	})
}

func TestPruneCommand(t *testing.T) {
	dir, snaps := snapStore(t, 10, []int{10, 10}, 10)
	require.Len(t, snaps, 3)
	snapFiles := func() []string {
		files, err := filepath.Glob(filepath.Join(dir, "*.hsnap"))
		require.NoError(t, err)
		slices.Sort(files)
		return files
	}
	require.Equal(t, []string{snapPath(dir, snaps[0]), snapPath(dir, snaps[1]), snapPath(dir, snaps[2])}, snapFiles())

	status, out, errOut := runT("prune", dir, "-keep", "2")
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	require.Equal(t, fmt.Sprintf("directory:  %s\nremoved:    %s\nkept:       the newest 2 snapshots\n", dir, snapPath(dir, snaps[0])), out)
	require.Equal(t, []string{snapPath(dir, snaps[1]), snapPath(dir, snaps[2])}, snapFiles())

	status, out, errOut = runT("prune", "-keep", "2", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "nothing to remove: at most 2 snapshots\n")
	require.Len(t, snapFiles(), 2)

	// Without -keep, prune keeps what a store keeps by default: one.
	status, out, errOut = runT("prune", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Equal(t, fmt.Sprintf("directory:  %s\nremoved:    %s\nkept:       the newest snapshot\n", dir, snapPath(dir, snaps[1])), out)
	require.Equal(t, []string{snapPath(dir, snaps[2])}, snapFiles())
	requireKeys(t, dir, 40)

	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	status, out, errOut = runT("prune", dir, "-keep", "1")
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.Contains(t, errOut, "is in use: a program has the store open")
	require.NoError(t, db.Close())
}

// TestPruneCommandKeepsRestored checks that prune refuses to remove the
// snapshot opening the store restores, when the newer ones it would keep
// are all damaged.
func TestPruneCommandKeepsRestored(t *testing.T) {
	dir, snaps := snapStore(t, 40, nil, 30)
	b := image(t, dir)[testkit.SnapshotName(snaps[0])]
	b[testkit.SnapshotHeaderSize+2] ^= 0x01
	bad := snapPath(dir, snaps[0]+10)
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	before := image(t, dir)

	status, out, errOut := runT("prune", dir, "-keep", "1")
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.Contains(t, errOut, "fail their checks")
	require.Contains(t, errOut, bad)
	require.Equal(t, before, image(t, dir), "nothing is removed")
	requireKeys(t, dir, 70)

	status, out, errOut = runT("prune", dir, "-keep", "2")
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "nothing to remove")
}
