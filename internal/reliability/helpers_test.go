package reliability

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/fsseam"
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

// calledFrom reports whether the function named fn (as runtime.Frame names
// it, without the module path: "hurrah.(*diskSnapshots).Save") is on the
// caller's stack. It is how a fault injector tells the file operations of
// one part of the store from those of another that touch the same files.
func calledFrom(fn string) bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "/"+fn) {
			return true
		}
		if !more {
			return false
		}
	}
}
