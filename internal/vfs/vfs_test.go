package vfs_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// fileSystems runs body against every FS implementation, each in a fresh
// directory, so the in-memory one is held to the operating system's
// contract.
func fileSystems(t *testing.T, body func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Run("os", func(t *testing.T) { body(t, vfs.OS, t.TempDir()) })
	t.Run("mem", func(t *testing.T) {
		m := vfs.NewMem()
		require.NoError(t, m.MkdirAll("/data"))
		require.NoError(t, m.SyncDir("/"))
		body(t, m, "/data")
	})
}

func TestCreateIsExclusive(t *testing.T) {
	fileSystems(t, testCreateIsExclusive)
}

func testCreateIsExclusive(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "f")
	f, err := fsys.Create(name)
	require.NoError(t, err)
	_, err = f.Write([]byte("kept"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = fsys.Create(name)
	require.ErrorIs(t, err, fs.ErrExist)
	b, err := fsys.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "kept", string(b), "a refused Create must not truncate")
}

func TestAppendTruncateListSync(t *testing.T) {
	fileSystems(t, testAppendTruncateListSync)
}

func testAppendTruncateListSync(t *testing.T, fsys vfs.FS, dir string) {
	for _, n := range []string{"b", "a", "c"} {
		f, err := fsys.Create(filepath.Join(dir, n))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	names, err := fsys.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, names)

	f, err := fsys.OpenAppend(filepath.Join(dir, "a"))
	require.NoError(t, err)
	_, err = f.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2))
	_, err = f.Write([]byte("!")) // O_APPEND writes at the new end
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	b, err := fsys.ReadFile(filepath.Join(dir, "a"))
	require.NoError(t, err)
	require.Equal(t, "he!", string(b))
	require.NoError(t, fsys.SyncDir(dir))

	require.NoError(t, fsys.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "z")))
	require.NoError(t, fsys.Remove(filepath.Join(dir, "b")))
	names, err = fsys.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"c", "z"}, names)
	_, err = fsys.ReadFile(filepath.Join(dir, "a"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	fi, err := fsys.Stat(filepath.Join(dir, "z"))
	require.NoError(t, err)
	require.Equal(t, int64(3), fi.Size())
	require.False(t, fi.IsDir())
	fi, err = fsys.Stat(dir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	_, err = fsys.Stat(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestLockExcludesSecondHolder(t *testing.T) {
	fileSystems(t, testLockExcludesSecondHolder)
}

func testLockExcludesSecondHolder(t *testing.T, fsys vfs.FS, dir string) {
	name := filepath.Join(dir, "LOCK")
	l1, err := fsys.Lock(name)
	require.NoError(t, err)
	_, err = fsys.Lock(name) // same process, new open file description
	require.ErrorIs(t, err, vfs.ErrLocked)
	require.NoError(t, l1.Close())
	l2, err := fsys.Lock(name)
	require.NoError(t, err, "closing the holder releases the lock")
	require.NoError(t, l2.Close())
}

func TestFaultyInjects(t *testing.T) {
	dir := t.TempDir()
	var seen []vfs.Op
	var failOp vfs.Op
	ffs := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		seen = append(seen, op)
		if op == failOp {
			if op == vfs.OpWrite {
				return errors.Join(syscall.ENOSPC, io.ErrShortWrite)
			}
			return syscall.EIO
		}
		return nil
	}}
	name := filepath.Join(dir, "f")
	f, err := ffs.Create(name)
	require.NoError(t, err)

	failOp = vfs.OpWrite
	n, err := f.Write([]byte("abcdefgh"))
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.ErrorIs(t, err, io.ErrShortWrite)
	require.Equal(t, 4, n, "a short write leaves the first half behind")

	failOp = vfs.OpSync
	require.ErrorIs(t, f.Sync(), syscall.EIO)
	failOp = 0
	require.NoError(t, f.Close())
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "abcd", string(b))

	for _, op := range []vfs.Op{vfs.OpRename, vfs.OpRemove, vfs.OpSyncDir, vfs.OpList, vfs.OpLock, vfs.OpMkdirAll, vfs.OpStat, vfs.OpReadFile, vfs.OpOpenAppend, vfs.OpCreate} {
		failOp = op
		var err error
		switch op {
		case vfs.OpRename:
			err = ffs.Rename(name, name+"2")
		case vfs.OpRemove:
			err = ffs.Remove(name)
		case vfs.OpSyncDir:
			err = ffs.SyncDir(dir)
		case vfs.OpList:
			_, err = ffs.List(dir)
		case vfs.OpLock:
			_, err = ffs.Lock(filepath.Join(dir, "LOCK"))
		case vfs.OpMkdirAll:
			err = ffs.MkdirAll(filepath.Join(dir, "sub"))
		case vfs.OpStat:
			_, err = ffs.Stat(name)
		case vfs.OpReadFile:
			_, err = ffs.ReadFile(name)
		case vfs.OpOpenAppend:
			_, err = ffs.OpenAppend(name)
		case vfs.OpCreate:
			_, err = ffs.Create(filepath.Join(dir, "g"))
		}
		require.ErrorIs(t, err, syscall.EIO, op.String())
	}
	_, err = os.Stat(name)
	require.NoError(t, err, "failed operations were not performed")
	require.Contains(t, seen, vfs.OpClose)
}
