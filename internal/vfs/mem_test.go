package vfs_test

import (
	"io/fs"
	"math/rand/v2"
	"path"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// memWith returns a Mem holding the directory /d, durably.
func memWith(t *testing.T) *vfs.Mem {
	t.Helper()
	m := vfs.NewMem()
	require.NoError(t, m.MkdirAll("/d"))
	require.NoError(t, m.SyncDir("/"))
	return m
}

func write(t *testing.T, f vfs.File, s string) {
	t.Helper()
	n, err := f.Write([]byte(s))
	require.NoError(t, err)
	require.Equal(t, len(s), n)
}

func contents(t *testing.T, fsys vfs.FS, name string) string {
	t.Helper()
	b, err := fsys.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func list(t *testing.T, fsys vfs.FS, dir string) []string {
	t.Helper()
	names, err := fsys.List(dir)
	require.NoError(t, err)
	return names
}

// syncedFile creates name in m holding s, with its data and its entry
// synced, and returns it open.
func syncedFile(t *testing.T, m *vfs.Mem, name, s string) vfs.File {
	t.Helper()
	f, err := m.Create(name)
	require.NoError(t, err)
	write(t, f, s)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir(path.Dir(name)))
	return f
}

// TestMemCrashKeepsOnlySynced checks the power-loss image: file data up to
// the last Sync, directory entries as of the last SyncDir.
func TestMemCrashKeepsOnlySynced(t *testing.T) {
	m := memWith(t)
	f, err := m.Create("/d/a")
	require.NoError(t, err)
	write(t, f, "synced")

	// The file's entry is not durable yet: a crash loses the file.
	require.Empty(t, list(t, m.Crash(vfs.CrashOptions{}), "/d"))

	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))
	write(t, f, "+lost")
	require.Equal(t, "synced+lost", contents(t, m, "/d/a"), "the live view has every write")

	g, err := m.Create("/d/b") // never synced
	require.NoError(t, err)
	write(t, g, "gone")
	require.NoError(t, g.Sync()) // data synced, entry not

	c := m.Crash(vfs.CrashOptions{})
	require.Equal(t, []string{"a"}, list(t, c, "/d"))
	require.Equal(t, "synced", contents(t, c, "/d/a"))

	// The image is a working file system of its own, with every lock free.
	l, err := c.Lock("/d/LOCK")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	h, err := c.OpenAppend("/d/a")
	require.NoError(t, err)
	write(t, h, "!")
	require.Equal(t, "synced!", contents(t, c, "/d/a"))
	require.Equal(t, "synced+lost", contents(t, m, "/d/a"), "the original is untouched")
}

// TestMemCrashRenameAndRemove checks that renames and removals are durable
// only once the directory is synced.
func TestMemCrashRenameAndRemove(t *testing.T) {
	m := memWith(t)
	for _, n := range []string{"/d/tmp", "/d/old"} {
		require.NoError(t, syncedFile(t, m, n, n).Close())
	}

	require.NoError(t, m.Rename("/d/tmp", "/d/new"))
	require.NoError(t, m.Remove("/d/old"))
	require.Equal(t, []string{"new"}, list(t, m, "/d"))

	c := m.Crash(vfs.CrashOptions{})
	require.Equal(t, []string{"old", "tmp"}, list(t, c, "/d"), "neither change was synced")

	require.NoError(t, m.SyncDir("/d"))
	c = m.Crash(vfs.CrashOptions{})
	require.Equal(t, []string{"new"}, list(t, c, "/d"))
	require.Equal(t, "/d/tmp", contents(t, c, "/d/new"), "a rename keeps the data")

	// A rename is one change: a crash keeps the file under one name or the
	// other, never under neither or both.
	require.NoError(t, m.Rename("/d/new", "/d/newer"))
	require.NoError(t, m.Rename("/d/newer", "/d/newer"), "renaming to itself does nothing")
	r := rand.New(rand.NewPCG(5, 6))
	seen := map[string]bool{}
	for range 50 {
		names := list(t, m.Crash(vfs.CrashOptions{Rand: r}), "/d")
		require.Len(t, names, 1)
		seen[names[0]] = true
	}
	require.Equal(t, map[string]bool{"new": true, "newer": true}, seen)

	require.NoError(t, m.MkdirAll("/e"))
	require.ErrorIs(t, m.Rename("/d/newer", "/e/x"), syscall.EXDEV)
}

// TestMemCrashDirectories checks that a new directory is an entry of its
// parent: it, and all below it, survive a crash only once the parent is
// synced.
func TestMemCrashDirectories(t *testing.T) {
	m := vfs.NewMem()
	require.NoError(t, m.MkdirAll("/a/b"))
	require.NoError(t, m.SyncDir("/a"))
	f, err := m.Create("/a/b/f")
	require.NoError(t, err)
	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/a/b"))

	c := m.Crash(vfs.CrashOptions{})
	_, err = c.List("/a")
	require.ErrorIs(t, err, fs.ErrNotExist, "/ was never synced, so /a is gone")
	_, err = c.ReadFile("/a/b/f")
	require.ErrorIs(t, err, fs.ErrNotExist)

	require.NoError(t, m.SyncDir("/"))
	c = m.Crash(vfs.CrashOptions{})
	require.Equal(t, []string{"b"}, list(t, c, "/a"))
	require.Equal(t, []string{"f"}, list(t, c, "/a/b"))
	fi, err := c.Stat("/a/b")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
}

// TestMemCrashTruncate checks that a cut made after the last Sync is undone
// by a crash that keeps only synced data, and kept once synced.
func TestMemCrashTruncate(t *testing.T) {
	m := memWith(t)
	f := syncedFile(t, m, "/d/a", "0123456789")
	require.NoError(t, f.Truncate(4))
	write(t, f, "x")
	require.Equal(t, "0123x", contents(t, m, "/d/a"))
	require.Equal(t, "0123456789", contents(t, m.Crash(vfs.CrashOptions{}), "/d/a"))
	require.NoError(t, f.Sync())
	require.Equal(t, "0123x", contents(t, m.Crash(vfs.CrashOptions{}), "/d/a"))
	require.NoError(t, f.Truncate(6))
	require.Equal(t, "0123x\x00", contents(t, m, "/d/a"), "growing fills with zeros")
}

// TestMemCrashRandomKeepsAPrefix checks the random images: a file keeps
// its synced bytes and then a prefix of the unsynced ones, every length
// from none to all turns up, and directory changes are kept oldest first.
func TestMemCrashRandomKeepsAPrefix(t *testing.T) {
	m := memWith(t)
	f := syncedFile(t, m, "/d/a", "synced|")
	write(t, f, "abc")
	for _, n := range []string{"/d/x", "/d/y"} {
		_, err := m.Create(n)
		require.NoError(t, err)
	}
	require.NoError(t, m.Remove("/d/x"))

	lengths := map[int]bool{}
	dirs := map[string]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		c := m.Crash(vfs.CrashOptions{Rand: r})
		got := contents(t, c, "/d/a")
		require.Equal(t, "synced|abc"[:len(got)], got)
		require.GreaterOrEqual(t, len(got), len("synced|"))
		lengths[len(got)] = true
		names := list(t, c, "/d")
		dirs[strings.Join(names, " ")] = true
	}
	require.Len(t, lengths, 4, "0 to 3 unsynced bytes kept")
	// Changes kept in order: none; +x; +x +y; +x +y -x.
	require.Equal(t, map[string]bool{"a": true, "a x": true, "a x y": true, "a y": true}, dirs)
}

// TestMemCrashTear checks that a torn image keeps the synced bytes intact
// and damages only the unsynced ones it keeps.
func TestMemCrashTear(t *testing.T) {
	m := memWith(t)
	f := syncedFile(t, m, "/d/a", "synced|")
	write(t, f, "0123456789abcdef")
	r := rand.New(rand.NewPCG(3, 4))
	damaged := 0
	for range 200 {
		got := contents(t, m.Crash(vfs.CrashOptions{Rand: r, Tear: true}), "/d/a")
		require.Equal(t, "synced|", got[:7], "synced bytes are never torn")
		if got != "synced|0123456789abcdef"[:len(got)] {
			damaged++
		}
	}
	require.Positive(t, damaged, "some images hold torn bytes")
}

// TestMemErrors checks the errors a Mem returns match the OS's sentinels.
func TestMemErrors(t *testing.T) {
	m := memWith(t)
	_, err := m.OpenAppend("/d/missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = m.Create("/nodir/f")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, m.Remove("/d/missing"), fs.ErrNotExist)
	require.ErrorIs(t, m.Rename("/d/missing", "/d/b"), fs.ErrNotExist)
	_, err = m.List("/nodir")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorIs(t, m.SyncDir("/nodir"), fs.ErrNotExist)
	_, err = m.Create("/d")
	require.ErrorIs(t, err, fs.ErrExist, "a directory is in the way")

	f, err := m.Create("/d/f")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = f.Write([]byte("x"))
	require.ErrorIs(t, err, fs.ErrClosed)
	require.ErrorIs(t, f.Sync(), fs.ErrClosed)
	require.ErrorIs(t, f.Close(), fs.ErrClosed)
	require.ErrorIs(t, m.MkdirAll("/d/f/sub/sub2"), fs.ErrExist, "a file is in the way")
	_, err = m.List("/d/f/sub")
	require.ErrorIs(t, err, fs.ErrNotExist, "a failed MkdirAll makes nothing")
	_, err = m.ReadFile("/d")
	require.ErrorIs(t, err, syscall.EISDIR)
}

// TestMemLoseUnsynced checks that LoseUnsynced forgets what was written
// since the last Sync, and keeps what was synced.
func TestMemLoseUnsynced(t *testing.T) {
	m := memWith(t)
	f := syncedFile(t, m, "/d/a", "durable")
	write(t, f, "+dirty")
	require.NoError(t, m.LoseUnsynced("/d/a"))
	require.Equal(t, "durable", contents(t, m, "/d/a"))
	require.NoError(t, f.Close())
}

// TestInjector checks the counting fault chooser: one-off and lasting.
func TestInjector(t *testing.T) {
	once := &vfs.Injector{At: 2}
	require.NoError(t, once.Inject(vfs.OpWrite, "a"))
	require.ErrorIs(t, once.Inject(vfs.OpSync, "a"), vfs.ErrInjected)
	require.NoError(t, once.Inject(vfs.OpSync, "a"), "a one-off fault heals")
	require.Equal(t, 3, once.Count())
	require.Equal(t, "sync a", once.Failed())

	lasting := &vfs.Injector{At: 1, Lasting: true, Err: func(op vfs.Op, _ string) error {
		if op == vfs.OpWrite {
			return vfs.ShortWrite
		}
		return vfs.ENOSPC
	}}
	require.ErrorIs(t, lasting.Inject(vfs.OpCreate, "b"), vfs.ENOSPC)
	require.ErrorIs(t, lasting.Inject(vfs.OpWrite, "b"), vfs.ShortWrite)
	require.Equal(t, "create b", lasting.Failed())

	counter := &vfs.Injector{}
	for range 5 {
		require.NoError(t, counter.Inject(vfs.OpList, "d"))
	}
	require.Equal(t, 5, counter.Count())
	require.Empty(t, counter.Failed())
}
