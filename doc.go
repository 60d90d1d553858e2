// Package hurrah is an embedded, in-memory key-value store that keeps its
// contents across restarts and crashes.
//
// # Basics
//
// Open a store on a directory, share the handle across goroutines, and
// store typed values:
//
//	db, err := hurrah.Open("data", nil) // Written durability, 100ms sync
//	if err != nil { ... }
//	defer db.Close()
//	err = hurrah.Set(ctx, db, "user:1", User{Name: "Ada"})
//	u, err := hurrah.Get[User](ctx, db, "user:1")
//
// Open("", nil) gives a memory-only store that touches no disk.
//
// All data lives in a map held by one owner goroutine; requests reach it as
// messages, so no lock guards the data. Every applied write is also handed
// to a journal goroutine that appends it, CBOR-encoded and checksummed, to
// segment files, and fsyncs on a timer or when a caller needs it; concurrent
// callers share each fsync. Open replays the journal.
//
// # Transactions, batches and conditional writes
//
// DB.Update runs a function as a read-modify-write transaction: it reads
// and writes through a Tx (TxGet, TxSet, Tx.Delete) in the owner
// goroutine, where nothing else happens while it runs, and its writes are
// applied as one atomic step and one journal record when it returns nil,
// or not at all when it returns an error. Keep it quick: every other
// request waits for it. Where no read is needed, a Batch of sets and
// deletes (BatchSet, Batch.Delete) goes in one atomic step with DB.Write,
// and CompareAndSwap and SetIfAbsent change one key on a condition without
// a transaction.
//
// # Views
//
// DB.View returns a View: a read-only image of the whole store at one
// point in time, read in the caller's goroutine without holding up
// writers. ViewGet reads one key, View.All every key, View.Prefix the keys
// under a prefix in no particular order, and View.Sorted the same in key
// order; View.Range reads keys in order from any start key, to an optional
// end, forward or back, with a limit (Tx.Range too, inside a transaction),
// and DB.DeletePrefix and DB.DeleteRange delete a range in one atomic
// step. Close a View when done: while one is open the store keeps the
// changes made since aside.
//
// # Systems
//
// When a map of keys is not the right shape, a System keeps a State of the
// user's own type, changed only by the user's Commands: OpenSystem opens
// or creates one, System.Commit applies a command and journals it, and
// Query reads the State in the owner goroutine. A System has the DB's
// durability, snapshots and recovery (it is the same engine: a DB is a
// System whose State is a map); its commands must be deterministic, since
// Open replays them (see Command).
//
// # Durability
//
// Options.Durability picks when a write is acknowledged: MemoryOnly,
// Buffered, Written (the default) or Synced; see Durability for what each
// survives. Sync waits until everything acknowledged before it is on stable
// storage, whatever the level.
//
// # Errors
//
// Errors are sentinel values wrapped with details: check them with
// errors.Is (ErrNotFound, ErrClosed, ErrLocked, ErrCorrupt, ...). Bad input
// returns an error and changes nothing.
//
// # Caveats
//
// A write is visible to readers as soon as it is applied, which can be
// before it is acknowledged: a reader may see a value that a crash then
// loses. Call Sync where that matters.
//
// After the journal fails to write or sync, the store refuses writes with
// ErrReadOnly until it is reopened; reads keep working, and may still show
// the writes that failed. Reopening shows what is on disk. Writes
// acknowledged at Written or Buffered since the last successful fsync may
// then be gone even without a power loss: Linux can forget dirty pages whose
// fsync failed.
//
// The README's Reliability section says what hurrah assumes of the disk and
// how each durability promise is tested by crashing and failing the store.
//
// Values stored with Set are encoded by the store's Codec (Options.Codec:
// CBOR by default, JSONCodec, or a codec of your own such as the protobuf
// one in the nested module github.com/hurrahdb/hurrah/protocodec); values
// stored with SetBytes are raw bytes. Read each kind back with its own
// function: Get on bytes stored with SetBytes fails with a *DecodeError
// that says to use GetBytes.
package hurrah
