package journal

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// requireCorruptPath requires err to be ErrCorrupt naming path.
func requireCorruptPath(t *testing.T, err error, path string) {
	t.Helper()
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.File)
}

// TestWrongTypeNamedLikeLogFile checks that a directory or another
// non-regular file named like a segment or a snapshot is corruption naming
// it, to Open, Repair and the listings alike, and that nothing changes.
func TestWrongTypeNamedLikeLogFile(t *testing.T) {
	restore := func(*Snapshot) error { return nil }
	kinds := map[string]func(t *testing.T, path string){
		"directory": func(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o700)) },
	}
	if runtime.GOOS != "windows" {
		kinds["fifo"] = func(t *testing.T, path string) { require.NoError(t, syscall.Mkfifo(path, 0o600)) }
	}
	for kind, make := range kinds {
		for _, name := range []string{segmentName(1), segmentName(100), snapshotName(4)} {
			t.Run(kind+"/"+name, func(t *testing.T) {
				dir := writeLog(t, 8, true, Options{})
				if name == segmentName(1) {
					dir = t.TempDir() // alone in the directory
				}
				path := filepath.Join(dir, name)
				make(t, path)
				before := dirImageNoRead(t, dir)

				_, err := tryOpen(vfs.OS, dir, Options{Restore: restore})
				requireCorruptPath(t, err, path)
				for _, dry := range []bool{true, false} {
					_, err = Repair(vfs.OS, dir, RepairOptions{DryRun: dry, Restore: restore})
					requireCorruptPath(t, err, path)
				}
				if name == snapshotName(4) {
					_, err = PruneSnapshots(vfs.OS, dir, 1, 10)
				} else {
					_, err = listSegments(vfs.OS, dir)
				}
				requireCorruptPath(t, err, path)
				require.Equal(t, before, dirImageNoRead(t, dir))
			})
		}
	}
}

// dirImageNoRead lists dir's entries with their modes and sizes, reading
// no file (a fifo would block).
func dirImageNoRead(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	img := map[string]string{}
	for _, e := range ents {
		if e.Name() == lockName {
			continue // Open and Repair create it
		}
		info, err := e.Info()
		require.NoError(t, err)
		img[e.Name()] = info.Mode().String()
		if info.Mode().IsRegular() {
			img[e.Name()] += string(readFile(t, filepath.Join(dir, e.Name())))
		}
	}
	return img
}

// TestCompactRefusesWrongType checks that CompactSegments refuses to remove
// a directory named like a segment, naming it.
func TestCompactRefusesWrongType(t *testing.T) {
	dir := writeLog(t, 8, true, Options{})
	path := filepath.Join(dir, segmentName(0)) // before the log's first
	require.NoError(t, os.Mkdir(path, 0o700))
	files, _, err := CompactSegments(vfs.OS, dir, 0)
	requireCorruptPath(t, err, path)
	require.Zero(t, files)
	_, err = os.Stat(path)
	require.NoError(t, err)
}
