package reliability

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestSeamSetsFS checks the one seam the harness has into hurrah: a store
// opened with withFS does its file operations on the file system given,
// and a store opened without it does none there.
func TestSeamSetsFS(t *testing.T) {
	var in vfs.Injector
	m := vfs.NewMem()
	dir := newDir(t) // should the seam fail, the store lands there, on disk
	db, err := hurrah.Open(dir, withFS(&hurrah.Options{}, &vfs.Faulty{FS: m, Inject: in.Inject}))
	require.NoError(t, err)
	require.NoError(t, db.SetBytes(t.Context(), "k", []byte("v")))
	require.NoError(t, db.Close())
	require.Positive(t, in.Count(), "file operations through the seam's file system")
	names, err := m.List(dir)
	require.NoError(t, err)
	require.NotEmpty(t, names, "the store's files on the in-memory file system")

	before := in.Count()
	db, err = hurrah.Open(newDir(t), nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.Equal(t, before, in.Count(), "a store opened without the seam used its file system")
}
