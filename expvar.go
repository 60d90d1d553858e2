package hurrah

import (
	"expvar"
	"fmt"
	"sync"
)

// publishMu makes PublishStats's check and publish one step, so that two
// calls with one name cannot both pass the check.
var publishMu sync.Mutex

// PublishStats publishes a store's statistics with the expvar package under
// name, so that anything reading /debug/vars (expvar's handler, as with
// net/http/pprof) sees them without code: a JSON object whose fields are
// those of Stats in snake_case, durations in nanoseconds (with an "_ns"
// suffix) and errors as their text ("" for none). stats is called at each
// read: pass a store's Stats method (db.Stats), or a function that follows
// a store your program reopens, since expvar cannot unpublish a name. A
// name expvar already has gets ErrPublished, and the empty name
// ErrInvalidOptions; nothing is published then. It returns the Var
// published.
func PublishStats(name string, stats func() Stats) (expvar.Var, error) {
	if name == "" || stats == nil {
		return nil, fmt.Errorf("%w: PublishStats needs a name and a function", ErrInvalidOptions)
	}
	publishMu.Lock()
	defer publishMu.Unlock()
	if expvar.Get(name) != nil {
		return nil, fmt.Errorf("%w: %q", ErrPublished, name)
	}
	v := StatsVar(stats)
	expvar.Publish(name, v)
	return v, nil
}

// StatsVar returns an expvar.Var that reports stats() as PublishStats
// describes, without publishing it: to add to an expvar.Map of your own.
func StatsVar(stats func() Stats) expvar.Var {
	return expvar.Func(func() any { return statsJSON(stats()) })
}

// statsJSON is Stats as expvar shows it.
func statsJSON(s Stats) map[string]any {
	text := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	return map[string]any{
		"keys": s.Keys, "bytes": s.Bytes,
		"gets": s.Gets, "sets": s.Sets, "deletes": s.Deletes, "clears": s.Clears,
		"batches": s.Batches, "cas": s.CAS, "txs": s.Txs, "owner_reads": s.OwnerReads, "lock_free_gets": s.LockFreeGets,
		"queries": s.Queries, "commands": s.Commands, "syncs": s.Syncs,
		"reads": s.Reads, "writes": s.Writes,
		"mailbox": s.Mailbox, "mailbox_size": s.MailboxSize,
		"applied_lsn": s.AppliedLSN, "durable_lsn": s.DurableLSN, "lag": s.Lag,
		"fsyncs": s.Fsyncs, "slow_fsyncs": s.SlowFsyncs,
		"fsync_p50_ns": int64(s.FsyncP50), "fsync_p99_ns": int64(s.FsyncP99), "fsync_max_ns": int64(s.FsyncMax),
		"journal_bytes": s.JournalBytes,
		"snapshots":     s.Snapshots, "snapshots_failed": s.SnapshotsFailed,
		"last_snapshot_err": text(s.LastSnapshotErr), "last_snapshot_lsn": s.LastSnapshotLSN,
		"last_snapshot_size": s.LastSnapshotSize, "max_pause_ns": int64(s.MaxPause),
		"watchers": s.Watchers, "watch_fallbacks": s.WatchFallbacks,
		"read_only": text(s.ReadOnly), "closed": s.Closed,
	}
}
