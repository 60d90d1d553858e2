package hurrah

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/testkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// bound is the longest a test waits for something that should happen
// promptly. It is a failure bound, never a delay to let things settle.
const bound = 30 * time.Second

const helperEnv = testkit.HelperEnv

// openT opens a store and closes it when the test ends (Close is idempotent,
// so tests may close it earlier themselves).
func openT(t testing.TB, dir string, opts *Options) *DB {
	t.Helper()
	db, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// newDir returns a path inside a fresh temporary directory that does not
// exist yet: Open creates it.
func newDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "db")
}

// snapshotDir returns every file under dir (relative path to contents;
// directories map to nil), so tests can check that a failed call changed
// nothing on disk.
func snapshotDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	snap := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			snap[rel+"/"] = nil
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		snap[rel] = b
		return nil
	})
	require.NoError(t, err)
	return snap
}

// requireSameDir fails unless dir holds exactly the files of before, byte for
// byte.
func requireSameDir(t testing.TB, before map[string][]byte, dir string) {
	t.Helper()
	after := snapshotDir(t, dir)
	require.Equal(t, slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)), "files in %s", dir)
	for name, b := range before {
		require.Equal(t, b, after[name], "contents of %s", name)
	}
}

// walFiles returns the paths of the segment files in dir, sorted.
func walFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	slices.Sort(m)
	return m
}

// onlyWAL returns the path of the single segment in dir.
func onlyWAL(t testing.TB, dir string) string {
	t.Helper()
	w := walFiles(t, dir)
	require.Len(t, w, 1, "segments in %s", dir)
	return w[0]
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

// model is what a test expects a store to hold. A value stored with Set (a
// string) is compared with Get[string]; one stored with SetBytes with
// GetBytes.
type model map[string]modelValue

type modelValue struct {
	raw bool // stored with SetBytes
	s   string
}

// requireContents fails unless db holds exactly m.
func requireContents(t testing.TB, ctx context.Context, db *DB, m model) {
	t.Helper()
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, len(m), n, "Len")
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	slices.Sort(keys)
	require.Equal(t, slices.Sorted(maps.Keys(m)), nilIfEmpty(keys), "Keys")
	for k, v := range m {
		if v.raw {
			b, err := db.GetBytes(ctx, k)
			require.NoError(t, err, "GetBytes %q", k)
			require.Equal(t, v.s, string(b), "GetBytes %q", k)
		} else {
			s, err := Get[string](ctx, db, k)
			require.NoError(t, err, "Get %q", k)
			require.Equal(t, v.s, s, "Get %q", k)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// faultyFS returns a Faulty over the OS file system that fails op on names
// matching match (any name if match is nil) with err while armed returns
// true.
func faultyFS(op vfs.Op, match func(string) bool, err error, armed func() bool) *vfs.Faulty {
	return &vfs.Faulty{FS: vfs.OS, Inject: func(o vfs.Op, name string) error {
		if o == op && (match == nil || match(name)) && (armed == nil || armed()) {
			return err
		}
		return nil
	}}
}

func isWAL(name string) bool { return strings.HasSuffix(name, ".wal") }

// TestHelperProcess is not a test: it is the body of a child process that
// other tests start by re-executing the test binary. Without the helper
// environment variable it does nothing.
//
// Modes:
//   - "lock": Open HURRAH_DIR and print LOCKED, OK, or ERR <message>.
//   - "opts": Open a memory-only store with one option out of range (see
//     helperOpts).
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process body; runs only when re-executed by another test")
	}
	dir := os.Getenv("HURRAH_DIR")
	switch mode {
	case "lock":
		db, err := Open(dir, nil)
		switch {
		case err == nil:
			fmt.Println("OK")
			db.Close()
		case errors.Is(err, ErrLocked):
			fmt.Println("LOCKED")
		default:
			fmt.Println("ERR", err)
		}
	case "opts":
		helperOpts()
	default:
		fmt.Println("ERR unknown mode", mode)
	}
	os.Exit(0) // skip the test framework's own output
}

// helperOpts opens a memory-only store with the option HURRAH_OPT set far
// out of range and prints INVALID if Open refuses it with ErrInvalidOptions,
// OK if the store works, ERR otherwise (or the process dies).
func helperOpts() {
	var opts Options
	switch os.Getenv("HURRAH_OPT") {
	case "MailboxSize":
		opts.MailboxSize = 1 << 50
	case "MaxDrain":
		opts.MaxDrain = 1 << 50
	}
	db, err := Open("", &opts)
	switch {
	case errors.Is(err, ErrInvalidOptions):
		fmt.Println("INVALID")
		return
	case err != nil:
		fmt.Println("ERR", err)
		return
	}
	if err := Set(context.Background(), db, "k", "v"); err != nil {
		fmt.Println("ERR", err)
	} else {
		fmt.Println("OK")
	}
	db.Close()
}

// harnessDir is where stores live on an in-memory file system (the name
// comes from the reliability harness, internal/reliability, which uses the
// same path).
const harnessDir = "/db"

// harnessLong reports whether the long versions of the tests were asked for
// (HURRAH_LONG=1).
func harnessLong() bool { return os.Getenv("HURRAH_LONG") == "1" }

// The helpers shared with internal/reliability, from internal/testkit.
var errPowerLost = testkit.ErrPowerLost

func storeContents(t testing.TB, db *DB) map[string]string { return testkit.StoreContents(t, db) }
func cutPower(at int, image func()) *vfs.Injector          { return testkit.CutPower(at, image) }
func copyStoreDir(t *testing.T, src, dst string) int       { return testkit.CopyStoreDir(t, src, dst) }
func calledFrom(fn string) bool                            { return testkit.CalledFrom(fn) }
func helperCmd(ctx context.Context, mode string, env ...string) *exec.Cmd {
	return testkit.HelperCmd(ctx, mode, env...)
}
