package testkit

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Store is what StoreContents reads: a hurrah DB.
type Store interface {
	Keys(ctx context.Context) ([]string, error)
	GetBytes(ctx context.Context, key string) ([]byte, error)
}

// StoreContents reads every key and value of db.
func StoreContents(t testing.TB, db Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	got := make(map[string]string, len(keys))
	for _, k := range keys {
		b, err := db.GetBytes(ctx, k)
		require.NoError(t, err)
		got[k] = string(b)
	}
	return got
}

// ErrPowerLost is what every file operation returns once the power has
// been cut: the machine is off.
var ErrPowerLost = errors.New("test: power lost")

// CutPower returns an injector that cuts the power just before file
// operation at (from 1): it calls image there, then fails that operation
// and every later one with ErrPowerLost.
func CutPower(at int, image func()) *vfs.Injector {
	var once sync.Once
	return &vfs.Injector{At: at, Lasting: true, Err: func(vfs.Op, string) error {
		once.Do(image)
		return ErrPowerLost
	}}
}

// CopyStoreDir copies the files of the store directory src (but the torn
// tails set aside, which recovery ignores) to a new directory dst, and
// returns how many segments it copied.
func CopyStoreDir(t *testing.T, src, dst string) (segments int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	ents, err := os.ReadDir(src)
	if errors.Is(err, os.ErrNotExist) {
		return 0 // nothing created the directory yet
	}
	require.NoError(t, err)
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".torn") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
		if strings.HasSuffix(e.Name(), ".wal") {
			segments++
		}
	}
	return segments
}

// CalledFrom reports whether the function fn (package-qualified, as
// "hurrah.(*diskSnapshots).Save") is on the caller's stack.
func CalledFrom(fn string) bool {
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

// HelperEnv names the environment variable that turns a test binary into a
// helper process: its value is the mode (see HelperCmd).
const HelperEnv = "HURRAH_TEST_HELPER"

// HelperCmd returns a command that runs this test binary as a helper
// process, that is its TestHelperProcess, in the given mode, with env added
// to the environment.
func HelperCmd(ctx context.Context, mode string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	// A race-enabled binary sleeps a second at exit unless told not to.
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), append([]string{HelperEnv + "=" + mode, "GORACE=" + gorace}, env...)...)
	return cmd
}
