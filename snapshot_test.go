package hurrah

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// snapFiles returns the names of the snapshot files in dir.
func snapFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".hsnap") {
			out = append(out, e.Name())
		}
	}
	return out
}

// dirBytes returns the total size of the files in dir.
func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, e := range ents {
		fi, err := e.Info()
		require.NoError(t, err)
		if !fi.IsDir() {
			n += fi.Size()
		}
	}
	return n
}

func TestSnapshotReopen(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, nil)
	m := model{}
	for i := range 5000 {
		k, v := fmt.Sprintf("k%05d", i), fmt.Sprintf("v%d", i)
		require.NoError(t, Set(ctx, db, k, v))
		m[k] = modelValue{s: v}
	}
	require.NoError(t, db.Snapshot(ctx))
	st := db.Stats()
	require.EqualValues(t, 1, st.Snapshots)
	require.EqualValues(t, 5000, st.LastSnapshotLSN)
	for i := range 100 {
		k := fmt.Sprintf("k%05d", i)
		_, err := db.Delete(ctx, k)
		require.NoError(t, err)
		delete(m, k)
		require.NoError(t, Set(ctx, db, fmt.Sprintf("new%d", i), "x"))
		m[fmt.Sprintf("new%d", i)] = modelValue{s: "x"}
	}
	require.NoError(t, db.Close())
	require.Len(t, walFiles(t, dir), 1, "the segments the snapshot covers are removed")

	db = openT(t, dir, nil)
	rec := db.Recovery()
	require.EqualValues(t, 5000, rec.SnapshotLSN)
	require.Equal(t, 5000, rec.SnapshotKeys)
	require.Equal(t, filepath.Join(dir, "snap-00000000000000005000.hsnap"), rec.Snapshot)
	require.EqualValues(t, 200, rec.Records)
	requireContents(t, ctx, db, m)
}

func TestSnapshotDuringWrites(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{SegmentSize: MinSegmentSize})
	// One write first, so that some snapshot below has something to save
	// even if all of them run before the writers' first write.
	require.NoError(t, db.SetBytes(ctx, "first", nil))
	var wg sync.WaitGroup
	const writers, each = 4, 2000
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := Set(ctx, db, fmt.Sprintf("w%d-%d", w, i%500), i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 5 {
		require.NoError(t, db.Snapshot(ctx))
	}
	wg.Wait()
	want := storeContents(t, db)
	require.NoError(t, db.Close())
	require.LessOrEqual(t, len(snapFiles(t, dir)), DefaultKeepSnapshots)

	db = openT(t, dir, nil)
	require.NotZero(t, db.Recovery().SnapshotLSN)
	require.Equal(t, want, storeContents(t, db))
}

func TestSnapshotAutomatic(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{SnapshotThreshold: 16 << 10, SegmentSize: MinSegmentSize})
	val := strings.Repeat("x", 100)
	for round := range 10 {
		for i := range 1000 {
			require.NoError(t, Set(ctx, db, fmt.Sprintf("key%04d", i), fmt.Sprint(val, round)))
		}
	}
	require.NoError(t, db.Snapshot(ctx)) // waits for an automatic one running
	require.Greater(t, db.Stats().Snapshots, uint64(1))
	want := storeContents(t, db)
	require.NoError(t, db.Close())
	t.Logf("dir %d bytes, files %v", dirBytes(t, dir), snapFiles(t, dir))

	db = openT(t, dir, nil)
	require.Equal(t, want, storeContents(t, db))
}

// TestSnapshotKeepsItselfBesideDamage puts a damaged snapshot file named
// after a later LSN in the directory, which Open passes over: neither a
// save's pruning nor PruneSnapshots may then remove the sound snapshot the
// store restores, or the store would not open again.
func TestSnapshotKeepsItselfBesideDamage(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{KeepSnapshots: 1})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "snap-00000000000001000000.hsnap"), []byte("garbage"), 0o644))
	for i := range 200 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprint(i), []byte("v")))
	}
	require.NoError(t, db.Snapshot(ctx))
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	require.EqualValues(t, 200, db.Recovery().SnapshotLSN)
	require.Len(t, db.Recovery().SkippedSnapshots, 1)
	require.NoError(t, db.SetBytes(ctx, "more", nil))
	removed, err := db.PruneSnapshots(ctx, 1)
	require.NoError(t, err)
	require.Empty(t, removed, "the only sound snapshot stays")
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 201, n)
}

// TestSnapshotLeavesOneSegment takes snapshots while many Synced writers
// keep the journal busy: once Snapshot returns, the segments it covers are
// gone and only the one begun after it is left: the journal rotates right
// after the snapshot's last entry, even when later writes arrive in the
// same drain.
func TestSnapshotLeavesOneSegment(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{Durability: Synced})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := db.SetBytes(ctx, fmt.Sprintf("w%d-%d", w, i%50), []byte("v")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := range 20 {
		require.NoError(t, db.Snapshot(ctx))
		require.Len(t, walFiles(t, dir), 1, "after snapshot %d", i)
	}
	close(stop)
	wg.Wait()
}
