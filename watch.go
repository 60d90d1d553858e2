package hurrah

import (
	"context"
	"iter"
	"time"

	"github.com/hurrahdb/hurrah/store"
)

// ChangeKind says what a Change did to its key.
type ChangeKind uint8

// Change kinds.
const (
	// ChangeSet set Key to Value.
	ChangeSet ChangeKind = iota + 1
	// ChangeDelete deleted Key.
	ChangeDelete
	// ChangeClear deleted every key (DB.Clear); Key is empty.
	ChangeClear
	// ChangeDeadline gave Key the deadline Expires (DB.Expire), or
	// dropped its deadline if Expires is the zero time (DB.Persist); the
	// value is unchanged.
	ChangeDeadline
	// ChangeExpired: the store removed Key because its deadline had
	// passed (see Expiry in the README). Readers stopped seeing the key at
	// its deadline, a little before this change.
	ChangeExpired
	// ChangeDeleteRange deleted every key from Key (included) up to End
	// (excluded; no end if End is empty), as one change: DeleteRange or
	// DeletePrefix. The store journals the range, not the keys, so the
	// change names no keys; a consumer that mirrors the store deletes
	// the same range.
	ChangeDeleteRange
)

// String returns "set", "delete", "clear", "deadline", "expired" or
// "delete-range".
func (k ChangeKind) String() string {
	switch k {
	case ChangeSet:
		return "set"
	case ChangeDelete:
		return "delete"
	case ChangeClear:
		return "clear"
	case ChangeDeadline:
		return "deadline"
	case ChangeExpired:
		return "expired"
	case ChangeDeleteRange:
		return "delete-range"
	}
	return "change?"
}

// Change is one change Watch reports.
type Change struct {
	// LSN is the log sequence number of the write that made the change.
	// Every write the store journals has its own, one more than the
	// write before it; the changes of one Batch or Update share theirs.
	LSN  uint64
	Kind ChangeKind
	Key  string
	// Value is the new value's stored bytes (ChangeSet only), as GetBytes
	// returns them: decode a typed value with DecodeChange. The slice is
	// the caller's. (A value of up to 256 bytes is copied into a 4 KiB
	// block the watcher fills with many: keeping the value keeps the
	// block alive. A larger one has an allocation of its own.)
	Value []byte
	// Expires is the key's deadline: for ChangeSet, the one it was set
	// with (the zero time if none), for ChangeDeadline the new one.
	Expires time.Time
	// End is the end of a ChangeDeleteRange's range (excluded), or empty
	// for none; Key is its start.
	End string
}

// WatchOptions configure Watch. A nil *WatchOptions means the zero value.
type WatchOptions struct {
	// Prefix, if set, limits the changes reported to keys that start
	// with it. Clears are always reported: they delete such keys too; so
	// are range deletes whose range holds keys with the prefix.
	Prefix string
	// Durable reports a change only once it is on stable storage (see
	// Sync), so a consumer never sees a change a crash then loses, as
	// replication and change-data-capture need. By default changes are
	// reported as soon as the store has applied them.
	Durable bool
}

// Watch returns the store's changes in LSN order, each exactly once, with no
// gap, starting with the write whose LSN is from; from 0 means the first
// write after Watch begins. To resume after the change with LSN n, watch
// from n+1: all of n's changes were reported when the iteration moved on
// (a Batch's changes share its LSN: a consumer that stopped in the middle
// of one resumes from its LSN and sees it whole again).
//
// Changes the store no longer keeps in memory are read back from the
// journal on disk, so a watcher may fall behind, resume after a restart,
// and still see every change, as long as no snapshot has compacted the
// journal past it: then the iteration ends with an error wrapping
// ErrCompacted (a *CompactedError). A slow watcher never slows writers:
// it falls behind and catches up from disk. Each watcher holds at most one
// journal segment (Options.SegmentSize) in memory.
//
// While writes keep coming, a waiting watcher is woken at most once per
// 300 µs: it may see a change up to 300 µs after the store applied it.
//
// The iteration runs in the caller's goroutine and starts none. It waits
// for changes while there are none, and ends with ctx's error once ctx is
// done, with ErrClosed once the store is closed, with a read error from the
// journal, or when the loop breaks. On a memory-only store it yields
// ErrMemoryOnly at once. A System has no change feed.
func (db *DB) Watch(ctx context.Context, from uint64, opts *WatchOptions) iter.Seq2[Change, error] {
	var o WatchOptions
	if opts != nil {
		o = *opts
	}
	return func(yield func(Change, error) bool) {
		w, err := db.watch(ctx, from, o)
		if err != nil {
			yield(Change{}, err)
			return
		}
		defer w.close()
		w.run(yield)
	}
}

// DecodeChange decodes the value of a ChangeSet into a T with the store's
// codec, as Get does. It fails with a *DecodeError for bytes that do not
// decode into a T.
func DecodeChange[T any](db *DB, c Change) (T, error) {
	return decodeValue[T](db.opts.Codec, c.Key, c.Value)
}

// kindOf maps a store operation to the kind of change it reports.
func kindOf(op store.Op) ChangeKind {
	switch op {
	case store.OpSet:
		return ChangeSet
	case store.OpDelete:
		return ChangeDelete
	case store.OpExpireAt:
		return ChangeDeadline
	case store.OpExpire:
		return ChangeExpired
	case store.OpDeleteRange:
		return ChangeDeleteRange
	}
	return ChangeClear
}
