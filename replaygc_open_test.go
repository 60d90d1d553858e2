package hurrah

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// journaledDir returns a new store directory whose journal holds n
// writes of one key.
func journaledDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(dir, &Options{SnapshotThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := db.SetBytes(t.Context(), "k", []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// gcPercent reads the process's GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// blockingOpen opens dir in a goroutine through a file system that holds
// the first read of a journal segment until release is closed: reached is
// closed when the Open gets there, and the Open's error arrives on done.
func blockingOpen(dir string) (reached, release chan struct{}, done chan error) {
	reached, release, done = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	fsys := &vfs.Faulty{FS: vfs.OSMode(0o600), Inject: func(op vfs.Op, name string) error {
		if op == vfs.OpReadFile && strings.HasSuffix(name, ".wal") {
			once.Do(func() {
				close(reached)
				<-release
			})
		}
		return nil
	}}
	go func() {
		db, err := Open(dir, &Options{fs: fsys})
		if err == nil {
			err = db.Close()
		}
		done <- err
	}()
	return reached, release, done
}

// GOGC is the whole process's, so two stores replaying at once share one
// raised setting: it stays raised until the last of them has opened, and
// then it is what it was before either began. Not parallel: it reads and
// sets the process's GOGC.
func TestOpenRelaxesGCOnceForConcurrentOpens(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	a, b := journaledDir(t, 1), journaledDir(t, 1)
	reachedA, releaseA, doneA := blockingOpen(a)
	<-reachedA
	if got := gcPercent(); got != replayGCPercent {
		t.Fatalf("GOGC while a store replays = %d, want %d", got, replayGCPercent)
	}
	reachedB, releaseB, doneB := blockingOpen(b)
	<-reachedB
	close(releaseA)
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	if got := gcPercent(); got != replayGCPercent {
		t.Fatalf("GOGC after one of two replays ended = %d, want %d", got, replayGCPercent)
	}
	close(releaseB)
	if err := <-doneB; err != nil {
		t.Fatal(err)
	}
	if got := gcPercent(); got != 150 {
		t.Fatalf("GOGC after both replays = %d, want 150 as before", got)
	}
}

// An Open that fails during recovery puts GOGC back too. Not parallel: it
// reads and sets the process's GOGC.
func TestOpenFailureRestoresGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	dir := journaledDir(t, 3)
	segs, _ := filepath.Glob(filepath.Join(dir, "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no segment written")
	}
	if err := os.WriteFile(segs[0], []byte("not a segment at all, but long enough to have a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(dir, nil); err == nil {
		db.Close()
		t.Fatal("Open of a damaged segment succeeded")
	}
	if got := gcPercent(); got != 150 {
		t.Fatalf("GOGC after a failed Open = %d, want 150", got)
	}
}

// A panic that unwinds through recovery (here from the file system, as a
// bug might) still puts GOGC back. Not parallel: it reads and sets the
// process's GOGC.
func TestOpenPanicRestoresGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	dir := journaledDir(t, 1)
	fsys := &vfs.Faulty{FS: vfs.OSMode(0o600), Inject: func(op vfs.Op, name string) error {
		if op == vfs.OpReadFile && strings.HasSuffix(name, ".wal") {
			panic("a bug while reading a segment")
		}
		return nil
	}}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("Open did not panic")
			}
		}()
		Open(dir, &Options{fs: fsys})
	}()
	if got := gcPercent(); got != 150 {
		t.Fatalf("GOGC after a panic in Open = %d, want 150", got)
	}
}
