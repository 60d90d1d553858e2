package hurrah

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestOpenNoSpace checks that Open on a full disk, when recovery must save a
// torn tail aside, fails with ErrNoSpace (not ErrBadDir or ErrCorrupt, and
// with ENOSPC still wrapped), and that the store opens whole once space is
// freed.
func TestOpenNoSpace(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, nil)
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte(k)))
	}
	require.NoError(t, db.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	require.NotEmpty(t, segs)
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("half a frame"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	full := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		if op == vfs.OpCreate && strings.HasSuffix(name, ".torn") {
			return &os.PathError{Op: op.String(), Path: name, Err: syscall.ENOSPC}
		}
		return nil
	}}
	_, err = Open(dir, &Options{fs: full})
	require.ErrorIs(t, err, ErrNoSpace)
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.NotErrorIs(t, err, ErrBadDir)
	require.NotErrorIs(t, err, ErrCorrupt)

	db = openT(t, dir, nil)
	require.NotNil(t, db.Recovery().TornTail, "the torn tail is cut once there is space")
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
}
