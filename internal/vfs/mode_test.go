//go:build unix

package vfs_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

func TestDirMode(t *testing.T) {
	for perm, want := range map[fs.FileMode]fs.FileMode{
		0o600: 0o700, 0o640: 0o750, 0o644: 0o755, 0o606: 0o707, 0o660: 0o770, 0o200: 0o200,
		fs.ModeDir | 0o600: 0o700,
	} {
		require.Equal(t, want, vfs.DirMode(perm), "%v", perm)
	}
}

// TestOSModes: OS creates files 0600 and directories 0700, OSMode the
// modes it is given; the lock file is a file like the others. The umask is
// cleared for the test, so the modes are the ones asked for.
func TestOSModes(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	for _, c := range []struct {
		fsys      vfs.FS
		file, dir fs.FileMode
	}{
		{vfs.OS, 0o600, 0o700},
		{vfs.OSMode(0o640), 0o640, 0o750},
		{vfs.OSMode(0o666), 0o666, 0o777},
	} {
		base := t.TempDir()
		dir := filepath.Join(base, "a", "b")
		require.NoError(t, c.fsys.MkdirAll(dir))
		f, err := c.fsys.Create(filepath.Join(dir, "f"))
		require.NoError(t, err)
		require.NoError(t, f.Close())
		l, err := c.fsys.Lock(filepath.Join(dir, "LOCK"))
		require.NoError(t, err)
		require.NoError(t, l.Close())
		for name, want := range map[string]fs.FileMode{"a": c.dir, "a/b": c.dir, "a/b/f": c.file, "a/b/LOCK": c.file} {
			fi, err := os.Stat(filepath.Join(base, name))
			require.NoError(t, err)
			require.Equal(t, want, fi.Mode().Perm(), "%s", name)
		}
	}
}
