package hurrah

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// fillDB writes n keys to db, raw and typed values, one of them empty, and
// returns what it holds.
func fillDB(t testing.TB, db *DB, n int) map[string]string {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%04d", i), []byte(fmt.Sprintf("value %d", i))))
	}
	require.NoError(t, db.SetBytes(ctx, "empty", nil))
	require.NoError(t, Set(ctx, db, "typed", map[string]int{"a": 1}))
	_, err := db.Delete(ctx, "k0000")
	require.NoError(t, err)
	return storeContents(t, db)
}

// restoreT restores b into a new directory and returns it with the report.
func restoreT(t testing.TB, b []byte) (string, RestoreReport) {
	t.Helper()
	dir := newDir(t)
	rep, err := Restore(context.Background(), dir, bytes.NewReader(b), nil)
	require.NoError(t, err)
	return dir, rep
}

// TestBackupRoundTrip backs up stores on disk and in memory, restores each
// into a new directory, and opens it to exactly the state backed up, at
// its LSN, with the journal going on from there.
func TestBackupRoundTrip(t *testing.T) {
	for _, onDisk := range []bool{true, false} {
		t.Run(fmt.Sprintf("on disk %v", onDisk), func(t *testing.T) {
			ctx := t.Context()
			dir := ""
			if onDisk {
				dir = newDir(t)
			}
			db := openT(t, dir, nil)
			want := fillDB(t, db, 100)
			var buf bytes.Buffer
			lsn, err := db.Backup(ctx, &buf)
			require.NoError(t, err)
			if onDisk {
				require.EqualValues(t, 103, lsn, "100 sets, a set, a typed set, a delete")
			} else {
				require.Zero(t, lsn, "a memory-only store numbers nothing")
			}
			require.NoError(t, db.SetBytes(ctx, "after", []byte("not in the backup")))

			rdir, rep := restoreT(t, buf.Bytes())
			require.Equal(t, RestoreReport{LSN: lsn, Records: uint64(len(want)), Bytes: int64(buf.Len()),
				Snapshot: rep.Snapshot}, rep)
			require.FileExists(t, rep.Snapshot)
			restored := openT(t, rdir, nil)
			require.Equal(t, want, storeContents(t, restored))
			require.Equal(t, lsn, restored.Recovery().SnapshotLSN)
			require.Equal(t, len(want), restored.Recovery().SnapshotKeys)

			// The journal goes on at lsn+1.
			require.NoError(t, restored.SetBytes(ctx, "next", []byte("x")))
			require.NoError(t, restored.Close())
			again := openT(t, rdir, nil)
			require.Equal(t, lsn+1, again.Recovery().LastLSN)
			require.EqualValues(t, 1, again.Recovery().Records)
			want["next"] = "x"
			require.Equal(t, want, storeContents(t, again))
		})
	}
}

// TestBackupSystemRoundTrip backs up a System: the restored directory is
// a System's, opens with OpenSystem to the State backed up, and is refused
// by Open; a DB's backup restores to a directory OpenSystem refuses.
func TestBackupSystemRoundTrip(t *testing.T) {
	ctx := t.Context()
	sys := openBank(t, newDir(t), nil)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 42}))
	var buf bytes.Buffer
	lsn, err := sys.Backup(ctx, &buf)
	require.NoError(t, err)
	require.EqualValues(t, 2, lsn)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 1}))

	dir, rep := restoreT(t, buf.Bytes())
	require.True(t, rep.System)
	require.EqualValues(t, 1, rep.Records)
	_, err = Open(dir, nil)
	require.ErrorIs(t, err, ErrBadDir, "a System's directory")
	restored := openBank(t, dir, nil)
	got, err := Query(ctx, restored, func(s *bank) int { return s.Accounts["ada"] })
	require.NoError(t, err)
	require.Equal(t, 42, got)
	require.Equal(t, lsn, restored.Recovery().SnapshotLSN)

	db := openT(t, "", nil)
	fillDB(t, db, 3)
	buf.Reset()
	_, err = db.Backup(ctx, &buf)
	require.NoError(t, err)
	dir, rep = restoreT(t, buf.Bytes())
	require.False(t, rep.System)
	_, err = OpenSystem[bank, bankCmd](dir, nil, nil)
	require.ErrorIs(t, err, ErrBadDir, "a key-value store's directory")
}

// TestBackupEmpty backs up stores that hold nothing yet, at LSN 0: a DB
// restores empty, and a System to the State its initial function made.
func TestBackupEmpty(t *testing.T) {
	ctx := t.Context()
	var buf bytes.Buffer
	lsn, err := openT(t, newDir(t), nil).Backup(ctx, &buf)
	require.NoError(t, err)
	require.Zero(t, lsn)
	dir, _ := restoreT(t, buf.Bytes())
	n, err := openT(t, dir, nil).Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	initial := func() bank { return bank{Accounts: map[string]int{"seed": 7}} }
	sys, err := OpenSystem[bank, bankCmd]("", initial, nil)
	require.NoError(t, err)
	defer sys.Close()
	buf.Reset()
	_, err = sys.Backup(ctx, &buf)
	require.NoError(t, err)
	dir, _ = restoreT(t, buf.Bytes())
	restored, err := OpenSystem[bank, bankCmd](dir, nil, nil) // no initial: the backup's State wins
	require.NoError(t, err)
	defer restored.Close()
	got, err := Query(ctx, restored, func(s *bank) int { return s.Accounts["seed"] })
	require.NoError(t, err)
	require.Equal(t, 7, got)
}

// TestBackupRefused checks the calls Backup refuses: after Close, on a
// poisoned System, with a context that has ended, and to a writer that
// fails. None leaves the store changed.
func TestBackupRefused(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	fillDB(t, db, 10_000)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := db.Backup(cctx, &bytes.Buffer{})
	require.ErrorIs(t, err, context.Canceled)

	// Canceled while the records are written: the header is out, the
	// trailer never is.
	cctx, cancel = context.WithCancel(ctx)
	var got bytes.Buffer
	_, err = db.Backup(cctx, writerFunc(func(p []byte) (int, error) {
		cancel()
		return got.Write(p)
	}))
	require.ErrorIs(t, err, context.Canceled)
	_, err = Restore(ctx, newDir(t), &got, nil)
	require.ErrorIs(t, err, ErrCorrupt, "what a canceled backup wrote")

	errDisk := errors.New("disk full")
	_, err = db.Backup(ctx, failingWriter{after: 100, err: errDisk})
	require.ErrorIs(t, err, errDisk)
	var buf bytes.Buffer
	_, err = db.Backup(ctx, &limitedWriter{w: &buf, n: 100_000, err: errDisk})
	require.ErrorIs(t, err, errDisk)

	require.NoError(t, db.Close())
	_, err = db.Backup(ctx, &bytes.Buffer{})
	require.ErrorIs(t, err, ErrClosed)

	sys := openBank(t, "", nil)
	require.ErrorIs(t, sys.Commit(ctx, bankCmd{Op: "panic"}), ErrPanic)
	_, err = sys.Backup(ctx, &bytes.Buffer{})
	require.ErrorIs(t, err, ErrPoisoned)
}

// writerFunc is an io.Writer that calls itself.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// failingWriter fails every write once after bytes have been taken.
type failingWriter struct {
	after int
	err   error
}

func (w failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		return 0, w.err
	}
	return len(p), nil
}

// limitedWriter writes up to n bytes to w, then fails.
type limitedWriter struct {
	w   *bytes.Buffer
	n   int
	err error
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, l.err
	}
	return l.w.Write(p)
}

// TestBackupProgress checks what BackupDir and Restore tell their progress
// callbacks: counts that only grow, ending at the totals.
func TestBackupProgress(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	want := fillDB(t, db, 10_000)
	require.NoError(t, db.Close())

	var calls []BackupProgress
	var buf bytes.Buffer
	lsn, err := BackupDir(ctx, dir, &buf, nil, func(p BackupProgress) { calls = append(calls, p) })
	require.NoError(t, err)
	require.NotZero(t, lsn)
	requireProgress(t, calls, uint64(len(want)), int64(buf.Len()))

	calls = nil
	rep, err := Restore(ctx, newDir(t), bytes.NewReader(buf.Bytes()),
		&RestoreOptions{Progress: func(p BackupProgress) { calls = append(calls, p) }})
	require.NoError(t, err)
	require.Equal(t, lsn, rep.LSN)
	requireProgress(t, calls, uint64(len(want)), int64(buf.Len()))
}

// requireProgress checks a series of progress reports.
func requireProgress(t *testing.T, calls []BackupProgress, total uint64, bytes int64) {
	t.Helper()
	require.Greater(t, len(calls), 2, "reports every few thousand records and at the end")
	for i, p := range calls {
		require.Equal(t, total, p.Total)
		if i > 0 {
			require.GreaterOrEqual(t, p.Records, calls[i-1].Records)
			require.GreaterOrEqual(t, p.Bytes, calls[i-1].Bytes)
		}
	}
	require.Equal(t, BackupProgress{Records: total, Total: total, Bytes: bytes}, calls[len(calls)-1])
}

// TestBackupDir backs up a closed store, and refuses what is not one: a
// missing directory, a file, an empty directory, a System's directory and
// a store another handle has open. Nothing is created.
func TestBackupDir(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	want := fillDB(t, db, 10)
	var buf bytes.Buffer
	_, err := BackupDir(ctx, dir, &buf, nil, nil)
	require.ErrorIs(t, err, ErrLocked, "the store is open")
	require.NoError(t, db.Close())

	lsn, err := BackupDir(ctx, dir, &buf, nil, nil)
	require.NoError(t, err)
	rdir, rep := restoreT(t, buf.Bytes())
	require.Equal(t, lsn, rep.LSN)
	require.Equal(t, want, storeContents(t, openT(t, rdir, nil)))

	missing := newDir(t)
	_, err = BackupDir(ctx, missing, &buf, nil, nil)
	require.ErrorIs(t, err, ErrNoStore)
	require.NoDirExists(t, missing)
	empty := t.TempDir()
	_, err = BackupDir(ctx, empty, &buf, nil, nil)
	require.ErrorIs(t, err, ErrNoStore)
	require.Empty(t, snapshotDir(t, empty)["LOCK"], "no LOCK file")
	require.Len(t, snapshotDir(t, empty), 1, "only the directory itself")
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o600))
	_, err = BackupDir(ctx, file, &buf, nil, nil)
	require.ErrorIs(t, err, ErrBadDir)

	sdir := newDir(t)
	require.NoError(t, openBank(t, sdir, nil).Close())
	before := snapshotDir(t, sdir)
	_, err = BackupDir(ctx, sdir, &buf, nil, nil)
	require.ErrorIs(t, err, ErrBadDir)
	require.ErrorContains(t, err, "holds a System")
	requireSameDir(t, before, sdir)
}

// TestBackupDurable checks that Backup returns only once the journal is
// durable up to the backup's LSN: at Buffered, with no background fsync,
// a power cut before the backup loses writes, and one right after it
// keeps every write the backup holds.
func TestBackupDurable(t *testing.T) {
	ctx := t.Context()
	m := vfs.NewMem()
	opts := &Options{Durability: Buffered, SyncInterval: time.Hour, fs: m}
	db := openT(t, "/db", opts)
	want := fillDB(t, db, 50)
	crashed := func() map[string]string {
		db := openT(t, "/db", &Options{fs: m.Crash(vfs.CrashOptions{})})
		return storeContents(t, db)
	}
	require.NotEqual(t, want, crashed(), "a cut before the backup loses writes")
	var buf bytes.Buffer
	_, err := db.Backup(ctx, &buf)
	require.NoError(t, err)
	require.Equal(t, want, crashed(), "a cut after the backup")
}

// TestBackupAcrossClose closes the store while a backup is being written:
// Close does not wait for it, and the backup, whose image and journal sync
// were taken before, completes and restores.
func TestBackupAcrossClose(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	want := fillDB(t, db, 100)
	started, proceed := make(chan struct{}), make(chan struct{})
	var buf bytes.Buffer
	done := make(chan error, 1)
	go func() {
		first := true
		_, err := db.Backup(ctx, writerFunc(func(p []byte) (int, error) {
			if first {
				first = false
				close(started)
				<-proceed
			}
			return buf.Write(p)
		}))
		done <- err
	}()
	<-started
	require.NoError(t, db.Close())
	close(proceed)
	require.NoError(t, <-done)
	dir, _ := restoreT(t, buf.Bytes())
	require.Equal(t, want, storeContents(t, openT(t, dir, nil)))
}
