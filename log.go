package hurrah

import (
	"log/slog"
	"time"

	"github.com/hurrahdb/hurrah/journal"
)

// The lines a store writes to Options.Logger: one for each rare event,
// never one on the path of a request. Each message starts "hurrah: " and
// names the event; the attributes say where and why. The README lists them.
const (
	msgTornTail        = "hurrah: torn tail cut at open"
	msgSnapshotSkipped = "hurrah: snapshot skipped at open"
	msgTempsRemoved    = "hurrah: interrupted snapshot removed at open"
	msgSnapshotFailed  = "hurrah: snapshot failed"
	msgSnapshotPrune   = "hurrah: snapshot saved, but removing what it replaces failed"
	msgReadOnly        = "hurrah: store is read-only"
	msgPoisoned        = "hurrah: System poisoned by a panicking command"
	msgSlowFsync       = "hurrah: slow fsync"
	msgWatchFallback   = "hurrah: watcher fell back to the journal on disk"
)

// logOpen logs what Open found in dir that an operator should know of: a
// torn tail it cut, snapshots it passed over, the temporary files of
// snapshots a crash interrupted (temps) that it removed.
func logOpen(l *slog.Logger, dir string, rec Recovery, temps int) {
	if l == nil {
		return
	}
	if t := rec.TornTail; t != nil {
		l.Warn(msgTornTail, "dir", dir, "segment", t.File, "offset", t.Offset,
			"bytes", t.Bytes, "saved_as", t.SavedAs)
	}
	for _, err := range rec.SkippedSnapshots {
		l.Warn(msgSnapshotSkipped, "dir", dir, "err", err)
	}
	if temps > 0 {
		l.Info(msgTempsRemoved, "dir", dir, "files", temps)
	}
}

// logPoisoned logs that a System's command panicked, with err, the error
// every later call returns.
func logPoisoned(l *slog.Logger, err error) {
	if l != nil {
		l.Error(msgPoisoned, "err", err)
	}
}

// journalEvents returns the journal's hooks for a store in dir with the
// resolved options o: they count slow fsyncs, and log them and the turn to
// read-only if o has a Logger.
func journalEvents(o Options, dir string) journal.Events {
	slow := max(o.SlowFsync, 0) // negative: never
	ev := journal.Events{SlowSync: slow}
	if l := o.Logger; l != nil {
		ev.OnSlowSync = func(file string, d time.Duration) {
			l.Warn(msgSlowFsync, "file", file, "duration", d, "threshold", slow)
		}
		ev.OnReadOnly = func(err error) { l.Error(msgReadOnly, "dir", dir, "err", err) }
	}
	return ev
}

// snapshotFailed returns the engine's SnapshotPolicy.OnFail for a store in
// dir: it logs each failed snapshot, or nil without a logger.
func snapshotFailed(l *slog.Logger, dir string) func(lsn uint64, saved bool, err error) {
	if l == nil {
		return nil
	}
	return func(lsn uint64, saved bool, err error) {
		if saved {
			l.Warn(msgSnapshotPrune, "dir", dir, "lsn", lsn, "err", err)
			return
		}
		l.Error(msgSnapshotFailed, "dir", dir, "lsn", lsn, "err", err)
	}
}
