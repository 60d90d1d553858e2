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
// Values stored with Set are CBOR; values stored with SetBytes are raw
// bytes. Read each kind back with its own function.
package hurrah
