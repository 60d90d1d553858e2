package hurrah

import (
	"time"

	"github.com/hurrahdb/hurrah/store"
)

// Stats describes a store as it runs: what it holds, what it was asked to
// do since Open, how far behind the disk is, how its fsyncs and snapshots
// go, and whether it still takes writes. Stats reads it without sending
// the owner goroutine anything (see handle.Stats), so a health check never
// waits behind requests and never has to try a write.
//
// The request counts and AppliedLSN are published by the owner goroutine
// at the end of each turn (a turn serves up to Options.MaxDrain requests):
// a call answered a moment ago may not be counted yet.
type Stats struct {
	// Keys is the number of keys stored and Bytes their size (keys and
	// encoded values). Keys whose deadline has passed count until the
	// owner goroutine removes them, in its next turns (Len leaves them
	// out). They are zero for a System, whose State is the program's
	// own.
	Keys  int
	Bytes int64

	// Requests served since Open, by kind. Gets counts Get and GetBytes
	// (and Has); Sets, Deletes and Clears the single-key calls and Clear;
	// Batches each Batch applied whole; CAS compare-and-swaps and
	// set-if-absent calls; Txs each Update or transaction run in the owner
	// goroutine; OwnerReads each read run there (GetMany,
	// and taking and releasing a View, which Keys and Export do too);
	// Queries every other query (Len, a System's Query); Commands a
	// System's commands; Syncs each Sync. A write that changes nothing (a delete of a missing key) is
	// counted too. Reads and Writes are the totals: Reads is Gets +
	// OwnerReads + Queries, Writes is Sets + Deletes + Clears + Batches +
	// CAS + Txs + Commands.
	Gets, Sets, Deletes, Clears, Batches, CAS, Txs uint64
	OwnerReads, Queries, Commands, Syncs           uint64
	Reads, Writes                                  uint64
	// LockFreeGets counts the Gets (of Gets) answered from the image the
	// owner goroutine published, without a round trip to it: those made
	// while nothing changed since the owner's last turn (see README,
	// "Reads without the round trip"). A GetBytesMany answered so is
	// counted nowhere.
	LockFreeGets uint64

	// Mailbox is the number of requests waiting for the owner goroutine,
	// out of MailboxSize (Options.MailboxSize). A mailbox that stays full
	// means callers wait: the store is the bottleneck.
	Mailbox     int
	MailboxSize int

	// AppliedLSN is the sequence number of the last journaled change the
	// owner applied, and DurableLSN that of the last one on stable
	// storage; Lag is AppliedLSN - DurableLSN, the changes a power cut
	// now would lose (at Buffered and Written durability). All three are
	// zero for a memory-only store, which journals nothing; DurableLSN and
	// Lag are zero too when the journal does not report what it synced.
	AppliedLSN uint64
	DurableLSN uint64
	Lag        uint64

	// Fsyncs is the number of fsyncs of journal segments since Open, and
	// SlowFsyncs how many took Options.SlowFsync or longer. FsyncP50 and
	// FsyncP99 are their median and 99th percentile latency (from a
	// histogram of fixed log-scale buckets: at most a quarter above the
	// true figure), FsyncMax the longest.
	Fsyncs     uint64
	SlowFsyncs uint64
	FsyncP50   time.Duration
	FsyncP99   time.Duration
	FsyncMax   time.Duration

	// JournalBytes is how many bytes the journal held at Open plus how
	// many it has written since.
	JournalBytes int64

	// Snapshots is the number of snapshots saved, and SnapshotsFailed the
	// number that failed; LastSnapshotErr says why the last one failed.
	Snapshots       uint64
	SnapshotsFailed uint64
	LastSnapshotErr error
	// LastSnapshotLSN and LastSnapshotSize describe the last snapshot
	// saved.
	LastSnapshotLSN  uint64
	LastSnapshotSize int64
	// MaxPause is the longest single step the owner goroutine spent on
	// point-in-time images (snapshots and Views: taking one, or folding
	// the changes kept aside back in) or on removing expired keys.
	// Requests wait at most this long for them.
	MaxPause time.Duration

	// Watchers is the number of change-feed iterations (DB.Watch) now
	// running; WatchFallbacks counts the journal reads of watchers that
	// fell out of the in-memory window of recent changes (one fall behind
	// may take several reads, and is logged once).
	Watchers       int
	WatchFallbacks uint64

	// ReadOnly is the reason the store refuses writes, or nil while it
	// takes them: the journal's failure (an error wrapping ErrReadOnly),
	// or, for a System, the panic that poisoned it. Closed reports that
	// Close was called.
	ReadOnly error
	Closed   bool
}

// statsOf describes an engine's stats, its journal's and its disk's.
func statsOf(s store.Stats, snaps *diskSnapshots) Stats {
	o := &s.Ops
	st := Stats{
		Keys: s.Keys, Bytes: s.Bytes,
		Gets: o[store.KindGet], Sets: o[store.KindSet], Deletes: o[store.KindDelete],
		Clears: o[store.KindClear], Batches: o[store.KindBatch], CAS: o[store.KindCAS],
		Txs: o[store.KindTx], OwnerReads: o[store.KindRead], Queries: o[store.KindQuery],
		Commands: o[store.KindCommand], Syncs: o[store.KindSync],
		LockFreeGets: s.LockFreeGets,
		Mailbox:      s.Mailbox, MailboxSize: s.MailboxCap,
		AppliedLSN: s.AppliedLSN,

		Snapshots:        s.Snapshots,
		SnapshotsFailed:  s.Failed,
		LastSnapshotErr:  s.LastErr,
		LastSnapshotLSN:  s.LastLSN,
		LastSnapshotSize: s.LastSize,
		MaxPause:         s.MaxPause,
		ReadOnly:         s.ReadOnly,
	}
	st.Reads = st.Gets + st.OwnerReads + st.Queries
	st.Writes = st.Sets + st.Deletes + st.Clears + st.Batches + st.CAS + st.Txs + st.Commands
	if s.SyncedKnown {
		st.DurableLSN = min(s.SyncedLSN, s.AppliedLSN)
		st.Lag = s.AppliedLSN - st.DurableLSN
	}
	if snaps != nil {
		st.JournalBytes = snaps.Written()
		f := snaps.j.SyncStats()
		st.Fsyncs, st.SlowFsyncs = f.Count, f.Slow
		st.FsyncP50, st.FsyncP99, st.FsyncMax = f.P50, f.P99, f.Max
	}
	return st
}
