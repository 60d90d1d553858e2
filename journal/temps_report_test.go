package journal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestReportTempsRemoved checks that Open reports how many temporary
// snapshot files it removed, and that a clean directory reports none.
func TestReportTempsRemoved(t *testing.T) {
	dir := t.TempDir()
	restore := func(*Snapshot) error { return nil }
	j := open(t, vfs.OS, dir, Options{Restore: restore})
	require.NoError(t, put(t, j.Journal, 1, 2, true))
	require.NoError(t, j.Close())
	require.Zero(t, j.rep.TempsRemoved)
	for _, lsn := range []uint64{1, 2} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, snapshotName(lsn)+tempSuffix), []byte("x"), 0o600))
	}
	j = open(t, vfs.OS, dir, Options{Restore: restore})
	require.NoError(t, j.Close())
	require.Equal(t, 2, j.rep.TempsRemoved)
}
