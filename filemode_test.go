//go:build unix

package hurrah

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// umask returns the process's umask, read off a file created with every
// permission bit.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	p := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o777)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	fi, err := os.Stat(p)
	require.NoError(t, err)
	return 0o777 &^ fi.Mode().Perm()
}

// TestFileModes: a store creates its files 0600 and its directories 0700
// by default, since they hold the users' data, or with the modes
// Options.FileMode gives: segments, snapshots, the LOCK file, a torn tail
// set aside, a System's marker, and every directory on the way.
func TestFileModes(t *testing.T) {
	mask := umask(t)
	for _, c := range []struct {
		name            string
		mode, file, dir os.FileMode
	}{
		{"default", 0, 0o600, 0o700},
		{"0640", 0o640, 0o640, 0o750},
		{"0606", 0o606, 0o606, 0o707},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			root := filepath.Join(t.TempDir(), "stores")
			opts := &Options{FileMode: c.mode, SnapshotThreshold: -1}
			dir := filepath.Join(root, "kv")
			db := openT(t, dir, opts)
			require.NoError(t, Set(ctx, db, "a", "1"))
			require.NoError(t, db.Snapshot(ctx))
			require.NoError(t, Set(ctx, db, "b", "2"))
			require.NoError(t, db.Close())
			wals := walFiles(t, dir)
			f, err := os.OpenFile(wals[len(wals)-1], os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte{1, 2, 3})
			require.NoError(t, err)
			require.NoError(t, f.Close())
			db = openT(t, dir, opts)
			require.NotNil(t, db.Recovery().TornTail, "the torn tail is set aside in a file of its own")
			require.NoError(t, db.Close())

			sys := openBank(t, filepath.Join(root, "sys"), opts)
			require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "a"}))
			require.NoError(t, sys.Close())

			var kinds []string
			require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
				require.NoError(t, err)
				fi, err := d.Info()
				require.NoError(t, err)
				want := c.file
				if d.IsDir() {
					want = c.dir
				}
				require.Equal(t, want&^mask, fi.Mode().Perm(), "%s (umask %#o)", path, mask)
				kind := filepath.Ext(d.Name())
				if kind == "" {
					kind = d.Name()
				}
				kinds = append(kinds, kind)
				return nil
			}))
			for _, k := range []string{"stores", "kv", "sys", ".wal", ".hsnap", ".torn", "LOCK", "SYSTEM"} {
				require.Contains(t, kinds, k)
			}
		})
	}
	for _, bad := range []os.FileMode{0o400, 0o200, 0o1600, os.ModeDir | 0o600} {
		_, err := Open(t.TempDir(), &Options{FileMode: bad})
		require.ErrorIs(t, err, ErrInvalidOptions, "%v", bad)
	}
}
