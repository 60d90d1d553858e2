package hurrah

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// logged is a slog.Handler that records every line, for tests.
type logged struct {
	mu   sync.Mutex
	recs []slog.Record
}

// newLogged returns a recorder and a Logger that writes to it.
func newLogged() (*logged, *slog.Logger) {
	l := &logged{}
	return l, slog.New(l)
}

func (l *logged) Enabled(context.Context, slog.Level) bool { return true }
func (l *logged) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logged) WithGroup(string) slog.Handler            { return l }
func (l *logged) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// line is a logged line: its level, message and attributes.
type line struct {
	level slog.Level
	msg   string
	attrs map[string]any
}

// lines returns what was logged with msg.
func (l *logged) lines(msg string) []line {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []line
	for _, r := range l.recs {
		if r.Message != msg {
			continue
		}
		ln := line{level: r.Level, msg: r.Message, attrs: map[string]any{}}
		r.Attrs(func(a slog.Attr) bool { ln.attrs[a.Key] = a.Value.Any(); return true })
		out = append(out, ln)
	}
	return out
}

// all returns every message logged.
func (l *logged) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		out = append(out, r.Message)
	}
	return out
}

// TestLogTornTail cuts a torn tail at Open and checks the one line that
// says so, with where it was cut and where the bytes went; a clean Open
// logs nothing.
func TestLogTornTail(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	rec, log := newLogged()
	db := openT(t, dir, &Options{Logger: log})
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Close())
	require.Empty(t, rec.all(), "a clean run logs nothing")
	seg := onlyWAL(t, dir)
	size := fileSize(t, seg)
	f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("half a frame"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	db = openT(t, dir, &Options{Logger: log})
	torn := db.Recovery().TornTail
	require.NotNil(t, torn)
	got := rec.lines(msgTornTail)
	require.Len(t, got, 1)
	require.Equal(t, slog.LevelWarn, got[0].level)
	require.Equal(t, map[string]any{"dir": dir, "segment": seg, "offset": size,
		"bytes": int64(len("half a frame")), "saved_as": torn.SavedAs}, got[0].attrs)
	require.NoError(t, db.Close())

	db = openT(t, dir, &Options{Logger: log})
	require.NoError(t, db.Close())
	require.Len(t, rec.lines(msgTornTail), 1, "nothing is cut the second time")
}

// TestLogSnapshotSkipped checks the line for each snapshot Open passed
// over.
func TestLogSnapshotSkipped(t *testing.T) {
	rec, log := newLogged()
	bad := []error{fmt.Errorf("%w: s2 bad", ErrCorrupt), fmt.Errorf("%w: s1 bad", ErrCorrupt)}
	logOpen(log, "d", Recovery{SkippedSnapshots: bad}, 0)
	got := rec.lines(msgSnapshotSkipped)
	require.Len(t, got, 2)
	for i, ln := range got {
		require.Equal(t, slog.LevelWarn, ln.level)
		require.Equal(t, map[string]any{"dir": "d", "err": bad[i]}, ln.attrs)
	}
	logOpen(nil, "d", Recovery{SkippedSnapshots: bad}, 1) // silent, and no panic
}

// TestLogTempsRemoved leaves the temporary file of a snapshot a crash
// interrupted and checks the line Open logs when it removes it.
func TestLogTempsRemoved(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Close())
	tmp := snapPath(dir, 1) + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte("half a snapshot"), 0o600))

	rec, log := newLogged()
	db = openT(t, dir, &Options{Logger: log})
	require.NoError(t, db.Close())
	require.NoFileExists(t, tmp)
	got := rec.lines(msgTempsRemoved)
	require.Len(t, got, 1, "%q", rec.all())
	require.Equal(t, slog.LevelInfo, got[0].level)
	require.Equal(t, map[string]any{"dir": dir, "files": int64(1)}, got[0].attrs)
}

// TestLogSnapshotFailed fails a snapshot before it is in place, then one
// after (removing the segments it replaces), and checks the line for each.
func TestLogSnapshotFailed(t *testing.T) {
	for _, c := range []struct {
		name string
		op   vfs.Op
		file func(string) bool
		msg  string
	}{
		{"temp file", vfs.OpCreate, func(n string) bool { return strings.HasSuffix(n, ".hsnap.tmp") }, msgSnapshotFailed},
		{"segment removal", vfs.OpRemove, isWAL, msgSnapshotPrune},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			rec, log := newLogged()
			db := openT(t, newDir(t), &Options{Logger: log, SnapshotThreshold: -1,
				fs: faultyFS(c.op, c.file, vfs.ErrInjected, nil)})
			require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
			err := db.Snapshot(ctx)
			require.ErrorIs(t, err, vfs.ErrInjected)
			got := rec.lines(c.msg)
			require.Len(t, got, 1, "%q", rec.all())
			require.EqualValues(t, 1, got[0].attrs["lsn"])
			require.ErrorIs(t, got[0].attrs["err"].(error), vfs.ErrInjected)
			require.NoError(t, db.Close())
			require.Len(t, rec.all(), 1, "one line, and none at Close")
		})
	}
}

// growState is a System's State that a command can make unencodable.
type growState struct{ F any }

// growCmd sets F to a channel, which CBOR cannot encode.
type growCmd struct{}

func (growCmd) Apply(s *growState) error { s.F = make(chan int); return nil }

// TestLogSnapshotFreezeFailed checks the line for a snapshot that fails
// before anything is written: a System whose State no longer encodes.
func TestLogSnapshotFreezeFailed(t *testing.T) {
	ctx := t.Context()
	rec, log := newLogged()
	sys, err := OpenSystem[growState, growCmd](newDir(t), nil, &Options{Logger: log, SnapshotThreshold: -1})
	require.NoError(t, err)
	t.Cleanup(func() { sys.Close() })
	require.NoError(t, sys.Commit(ctx, growCmd{}))
	err = sys.Snapshot(ctx)
	require.ErrorIs(t, err, ErrEncode)
	got := rec.lines(msgSnapshotFailed)
	require.Len(t, got, 1, "%q", rec.all())
	require.Equal(t, slog.LevelError, got[0].level)
	require.EqualValues(t, 1, got[0].attrs["lsn"])
	require.Equal(t, err, got[0].attrs["err"])
	require.EqualValues(t, 1, sys.Stats().SnapshotsFailed)
}

// TestLogReadOnly fails the journal's fsync and checks the store logs,
// once, that it turned read-only, and that Stats says so and why.
func TestLogReadOnly(t *testing.T) {
	ctx := t.Context()
	rec, log := newLogged()
	var armed sync.Mutex
	fail := false
	db := openT(t, newDir(t), &Options{Logger: log, Durability: Synced,
		fs: faultyFS(vfs.OpSync, isWAL, vfs.ErrInjected, func() bool { armed.Lock(); defer armed.Unlock(); return fail })})
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Stats().ReadOnly)
	armed.Lock()
	fail = true
	armed.Unlock()
	err := db.SetBytes(ctx, "b", []byte("2"))
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, db.SetBytes(ctx, "c", []byte("3")), ErrReadOnly)
	st := db.Stats()
	require.ErrorIs(t, st.ReadOnly, ErrReadOnly)
	require.ErrorIs(t, st.ReadOnly, vfs.ErrInjected)
	got := rec.lines(msgReadOnly)
	require.Len(t, got, 1)
	require.Equal(t, slog.LevelError, got[0].level)
	require.True(t, errors.Is(got[0].attrs["err"].(error), vfs.ErrInjected))
	require.ErrorIs(t, db.Close(), ErrReadOnly)
	require.Len(t, rec.lines(msgReadOnly), 1, "logged once")
}

// TestLogSlowFsync sets a threshold every fsync passes and checks each is
// logged and counted; a negative threshold logs and counts none.
func TestLogSlowFsync(t *testing.T) {
	ctx := t.Context()
	rec, log := newLogged()
	// No background fsync: the test counts those it asks for.
	db := openT(t, newDir(t), &Options{Logger: log, SlowFsync: time.Nanosecond, SyncInterval: time.Hour})
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Sync(ctx))
	st := db.Stats()
	require.Positive(t, st.SlowFsyncs)
	got := rec.lines(msgSlowFsync)
	require.Len(t, got, int(st.SlowFsyncs))
	require.True(t, isWAL(got[0].attrs["file"].(string)), "%v", got[0].attrs)
	require.Positive(t, got[0].attrs["duration"].(time.Duration))
	require.Equal(t, time.Nanosecond, got[0].attrs["threshold"])

	rec, log = newLogged()
	db = openT(t, newDir(t), &Options{Logger: log, SlowFsync: -1})
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Sync(ctx))
	require.Positive(t, db.Stats().Fsyncs)
	require.Zero(t, db.Stats().SlowFsyncs)
	require.NoError(t, db.Close())
	require.Empty(t, rec.all())
}

// TestLogPoisoned panics in a System's command and checks the line.
func TestLogPoisoned(t *testing.T) {
	ctx := t.Context()
	rec, log := newLogged()
	sys := openBank(t, "", &Options{Logger: log})
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "x"}))
	err := sys.Commit(ctx, bankCmd{Op: "panic", From: "x"})
	require.ErrorIs(t, err, ErrPoisoned)
	got := rec.lines(msgPoisoned)
	require.Len(t, got, 1)
	require.Equal(t, err, got[0].attrs["err"])
	require.ErrorIs(t, sys.Stats().ReadOnly, ErrPoisoned)
}
