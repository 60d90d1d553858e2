//go:build unix

package hurrah

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDirUnusablePath: a path that cannot be a store's directory (a NUL
// byte in it, a name or a path longer than the system allows, a loop of
// symbolic links, a directory where the LOCK file should be) makes Open,
// Check, Repair and Prune fail with ErrBadDir, with the operating system's
// error wrapped too.
func TestDirUnusablePath(t *testing.T) {
	parent := t.TempDir()
	loop := filepath.Join(parent, "loop")
	require.NoError(t, os.Symlink(filepath.Join(parent, "loop2"), loop))
	require.NoError(t, os.Symlink(loop, filepath.Join(parent, "loop2")))
	lockDir := filepath.Join(parent, "lockdir")
	require.NoError(t, os.MkdirAll(filepath.Join(lockDir, "LOCK"), 0o700))
	longPath := parent
	for len(longPath) <= 4096 {
		longPath = filepath.Join(longPath, strings.Repeat("p", 200))
	}
	for _, c := range []struct {
		name, dir string
		osErr     error
	}{
		{"NUL byte", filepath.Join(parent, "a\x00b"), syscall.EINVAL},
		{"long name", filepath.Join(parent, strings.Repeat("n", 300)), syscall.ENAMETOOLONG},
		{"long path", longPath, syscall.ENAMETOOLONG},
		{"link loop", loop, syscall.ELOOP},
		{"link loop below", filepath.Join(loop, "db"), syscall.ELOOP},
		{"LOCK is a directory", lockDir, syscall.EISDIR},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, err := Open(c.dir, nil)
			require.Nil(t, db)
			require.ErrorIs(t, err, ErrBadDir)
			require.ErrorIs(t, err, c.osErr)
			_, err = Check(c.dir)
			require.ErrorIs(t, err, ErrBadDir, "Check")
			_, err = Repair(c.dir)
			require.ErrorIs(t, err, ErrBadDir, "Repair")
			_, err = Prune(c.dir, 1)
			require.ErrorIs(t, err, ErrBadDir, "Prune")
		})
	}
}
