// Package store is what hurrah's owner goroutine applies: a general engine
// that runs a deterministic state machine in one goroutine, and the
// key-value machine that hurrah's map face is built on.
//
// The package is importable, but it exists for hurrah (the root package):
// its API changes whenever hurrah needs it to, with no compatibility
// promise to anyone else. Use hurrah's DB or System instead.
//
// # Basics
//
// A Machine holds some state and changes it only through commands (Apply);
// it answers queries (Query) without changing it. An Engine owns one Machine
// in one goroutine (an actor): callers send it requests, it drains several
// at a time from its mailbox, applies each command, stamps every command
// that changed the state with the next log sequence number (LSN, contiguous
// from 1), answers queries at once, and hands the applied entries, with the
// callers that wait for durability, to a Sink (the journal) in one
// handoff.Parcel. The engine never touches a caller's Go values: callers
// encode commands in their own goroutine, so encoding runs in parallel, and
// the engine stores the bytes it is given.
//
// The engine knows nothing of files and the Sink knows nothing of the
// machine: the two meet only in internal/handoff.
//
// The files: engine.go (the Engine and its requests' API), owner.go (the
// owner goroutine's turn), request.go (a request), freeze.go (when and how
// the engine snapshots), stats.go and stats_kv.go (what the owner counts,
// and how the key-value machine sorts its requests), kv.go (the key-value machine), kv_entry.go (a key's value and deadline
// in its maps), image.go (its
// images and folding them back), publish.go (the image published for
// reads that skip the owner: Lookup, PublishedView, and why it is
// linearizable), ordered.go, ordered_remove.go and ordered_iter.go (the
// ordered index of the keys, a copy-on-write B-tree, and the range scans
// over it), ordered_node.go (its nodes' inline key prefixes),
// ordered_pending.go (creates and removals noted, merged in sorted
// batches),
// ordered_build.go, ordered_defer.go and ordered_background.go (building
// the index at once from sorted keys, deferring it while a store opens,
// and building it on a goroutine after Start), range_delete.go (a range
// delete), expiry.go, expiry_image.go and expiry_owner.go (deadlines,
// their images, and the owner's removals), changes.go, changes_ring.go,
// changes_shared.go and changes_wake.go (the change feed's records, the
// ring, one decoding shared by all watchers, coalesced wake-ups), codec.go, codec_fast.go, codec_expiry.go
// and codec_range.go (the journal format of its commands), emptykey.go (the key-value engine that refuses
// the empty key from disk), errors.go (the sentinel errors). The decoder of
// journaled commands, which reads bytes from disk, is fuzzed beside it
// (FuzzDecodeCommand in fuzz_command_test.go, with its corpus in
// testdata/fuzz, and the fast path's targets in codec_fast_test.go);
// internal/fuzzkit states the method.
//
// # Threading
//
// Apply, Query and the decode function given to New are only ever called
// from one goroutine at a time: Replay's caller before Start, the owner
// goroutine after it. Engine methods are safe for concurrent use after Start.
//
// # Caveats
//
// A mutation is visible to queries as soon as it is applied, which may be
// before the Sink has made it durable: a reader can see a value that a crash
// then loses. Sync closes that gap.
//
// A mutation that changes nothing (a delete of a missing key, a
// compare-and-swap that does not swap, an Exec that only reads) answers
// from the state it read: at AckSynced it waits until that state is
// durable, as a Sync would; at the other levels its answer, like a
// reader's, can rest on a change that a crash then loses.
package store
