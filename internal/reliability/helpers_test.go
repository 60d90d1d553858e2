package reliability

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/fsseam"
	"github.com/hurrahdb/hurrah/internal/testkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// bound is the longest a test waits for something that should happen
// promptly. It is a failure bound, never a delay to let things settle.
const bound = 30 * time.Second

// harnessDir is where harness stores live on an in-memory file system.
const harnessDir = "/db"

// harnessLong reports whether the long versions of the reliability tests
// were asked for (HURRAH_LONG=1).
func harnessLong() bool { return os.Getenv("HURRAH_LONG") == "1" }

// withFS returns opts with its file system set to fsys, through the one
// seam these tests have into hurrah (internal/fsseam).
func withFS(opts *hurrah.Options, fsys vfs.FS) *hurrah.Options {
	fsseam.SetFS(opts, fsys)
	return opts
}

// smallSegments returns the options of a store on fsys at the default
// level with the smallest segments, as the harness reopens what a crash
// left.
func smallSegments(fsys vfs.FS) *hurrah.Options {
	return withFS(&hurrah.Options{SegmentSize: hurrah.MinSegmentSize}, fsys)
}

// newDir returns a path inside a fresh temporary directory that does not
// exist yet: Open creates it.
func newDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "db")
}

// isWAL reports whether name is a journal segment's.
func isWAL(name string) bool { return strings.HasSuffix(name, ".wal") }

// The helpers shared with the root package's tests, from internal/testkit.
const helperEnv = testkit.HelperEnv

var errPowerLost = testkit.ErrPowerLost

func storeContents(t testing.TB, db *hurrah.DB) map[string]string {
	return testkit.StoreContents(t, db)
}
func cutPower(at int, image func()) *vfs.Injector    { return testkit.CutPower(at, image) }
func copyStoreDir(t *testing.T, src, dst string) int { return testkit.CopyStoreDir(t, src, dst) }
func calledFrom(fn string) bool                      { return testkit.CalledFrom(fn) }
func helperCmd(ctx context.Context, mode string, env ...string) *exec.Cmd {
	return testkit.HelperCmd(ctx, mode, env...)
}
