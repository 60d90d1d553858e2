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

func TestOSCreateIsExclusive(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	f, err := vfs.OS.Create(name)
	require.NoError(t, err)
	_, err = f.Write([]byte("kept"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, err = vfs.OS.Create(name)
	require.ErrorIs(t, err, fs.ErrExist)
	b, err := vfs.OS.ReadFile(name)
	require.NoError(t, err)
	require.Equal(t, "kept", string(b), "a refused Create must not truncate")
}

func TestOSAppendTruncateListSync(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b", "a", "c"} {
		f, err := vfs.OS.Create(filepath.Join(dir, n))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	names, err := vfs.OS.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, names)

	f, err := vfs.OS.OpenAppend(filepath.Join(dir, "a"))
	require.NoError(t, err)
	_, err = f.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, f.Truncate(2))
	_, err = f.Write([]byte("!")) // O_APPEND writes at the new end
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	b, err := vfs.OS.ReadFile(filepath.Join(dir, "a"))
	require.NoError(t, err)
	require.Equal(t, "he!", string(b))
	require.NoError(t, vfs.OS.SyncDir(dir))

	require.NoError(t, vfs.OS.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "z")))
	require.NoError(t, vfs.OS.Remove(filepath.Join(dir, "b")))
	names, err = vfs.OS.List(dir)
	require.NoError(t, err)
	require.Equal(t, []string{"c", "z"}, names)
}

func TestOSLockExcludesSecondHolder(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l1, err := vfs.OS.Lock(name)
	require.NoError(t, err)
	_, err = vfs.OS.Lock(name) // same process, new open file description
	require.ErrorIs(t, err, vfs.ErrLocked)
	require.NoError(t, l1.Close())
	l2, err := vfs.OS.Lock(name)
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
