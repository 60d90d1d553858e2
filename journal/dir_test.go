package journal

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestHoldsStore checks that only segment and snapshot files, named as the
// journal names them, make a directory hold a store.
func TestHoldsStore(t *testing.T) {
	dir := t.TempDir()
	held, err := HoldsStore(vfs.OS, filepath.Join(dir, "missing"))
	require.NoError(t, err)
	require.False(t, held, "a missing directory")

	for _, name := range []string{lockName, "x.wal", "notes.hsnap", segmentName(1) + ".0.torn",
		segmentName(1) + ".corrupt", snapshotName(7) + tempSuffix} {
		writeFileT(t, filepath.Join(dir, name), nil)
		held, err := HoldsStore(vfs.OS, dir)
		require.NoError(t, err)
		require.False(t, held, "after %s", name)
	}
	for _, name := range []string{segmentName(1), snapshotName(7), closedName(9)} {
		sub := t.TempDir()
		writeFileT(t, filepath.Join(sub, name), nil)
		held, err := HoldsStore(vfs.OS, sub)
		require.NoError(t, err)
		require.True(t, held, "with %s", name)
	}

	// A directory that exists holds a journal once one has been opened.
	sub := t.TempDir()
	j := open(t, vfs.OS, sub, Options{})
	require.NoError(t, j.Close())
	held, err = HoldsStore(vfs.OS, sub)
	require.NoError(t, err)
	require.True(t, held)
}
