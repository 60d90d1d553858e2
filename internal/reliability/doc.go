// Package reliability is hurrah's black-box reliability harness. It holds
// only tests: they drive a store through the public API, and reach inside
// at one point, the file system a store uses, through internal/fsseam. So
// they test what a user gets, and the file system is the one thing they
// fake. go test -race ./... runs the short version of every test;
// HURRAH_LONG=1 runs the long one.
//
// # Plans and promises
//
// A plan (plan_test.go) is a scripted single-writer workload of SetBytes,
// Delete, Clear and Snapshot calls in two sessions, with a Close and a
// reopen between them, a Sync after every few calls in the second, 4 KiB
// segments so that the journal rotates often, and snapshots on demand or
// automatic ones with their segment removal and pruning. While it runs,
// counters record how many calls were issued, acknowledged, and promised
// durable: at Synced a write is promised once acknowledged; at the other
// levels once a Sync, a Snapshot or a Close that began after it returned.
// The check after any fault reopens the store and requires it to hold
// exactly the state after some prefix of the plan that reaches at least
// the promised calls and at most the issued ones: nothing promised lost,
// nothing reordered or half applied.
//
// # Cut points and crash modes
//
// Every file operation of a run goes through a vfs.Faulty that counts it.
// A cut point is one such operation: the power goes just before it, taking
// an image of what the disk holds (vfs.Mem.Crash), and it and every later
// operation fail. TestCrashPoints cuts before every operation of a run, up
// to the most a fault-free run makes, in three crash modes: keep only
// synced data ("synced-only"); keep that and a random part of the unsynced
// data and directory changes ("random-unsynced"); and tear the unsynced
// bytes kept ("torn"). Where the reopen cut a torn tail, it cuts the power
// again before each operation of that recovery (of every eighth such
// recovery in the short version). At synced-only points it
// also restarts the process on what it left (the page cache survives),
// makes a Synced write and cuts the power: a restart must make all it
// recovered durable before it writes on. TestCrashPointsConcurrent does
// the same with four writers sharing group commits, checking each
// writer's keys for a prefix of its sequence. TestSnapshotCrashSteps cuts
// before each operation of one Snapshot call, in both orders of the save
// and the journal's rotation, and names the protocol step of each cut.
// TestStrayFiles puts stray files and files of the wrong type (unrelated
// files, leftover temp, torn and corrupt files, directories, symbolic links
// and FIFOs named like segments or snapshots) into crash images written to
// a real directory: the reopen must restore all that was promised, or
// refuse with a typed error and open whole once the stray is gone.
//
// # Restore
//
// TestRestoreCrashPoints cuts the power before every file operation of a
// Restore, of a DB's backup and of a System's, in every crash mode, and
// TestRestoreIOErrors fails each of them once or for good
// (restorecrash_test.go). After each, the directory must hold the whole
// restored store or none: Open (OpenSystem) opens it empty and a Restore
// again succeeds. A Restore that failed once must leave nothing behind.
//
// # Import
//
// TestImportCrashPoints (importcrash_test.go) cuts the power before every
// file operation of a DB.Import of twelve batches, at each level and in
// each crash mode: each image must hold exactly a prefix of whole batches,
// with every batch the level promised, and a restart at the synced-only
// points every batch acknowledged at Written and Synced.
// TestImportIOErrors (importioerror_test.go) fails each file operation of
// that import with EIO: the report must count whole batches, a restart
// must hold them, and resuming with Skip must complete the import.
//
// # Expiry
//
// TestExpiryCrashPoints (expirycrash_test.go) runs a plan that sets keys
// with and without deadlines while a clock the test controls (through
// internal/fsseam's SetClock) moves on, so that the owner removes expired
// keys with journaled records between the writes, across segment
// rotations and snapshots that carry deadlines. It cuts the power before
// every file operation, in every crash mode. Reopened at the clock of the
// cut, the store must hold exactly the unexpired keys of a prefix of the
// plan covering every acknowledged write, each with its deadline, and no
// expired key; reopened with the clock turned back, only the prefix's
// keys with their deadlines, and some cut must find keys whose removal
// was replayed from the journal.
//
// # Range deletes
//
// TestRangeDeleteCrashPoints (rangecrash_test.go) runs a plan of sets under
// a few prefixes with DeletePrefix and DeleteRange calls among them,
// across segment rotations and snapshots, and cuts the power before every
// file operation, in every crash mode: the reopened store must hold
// exactly the keys of a prefix of the plan covering every acknowledged
// write, so a range delete is there whole or not at all; some cuts must
// come during a range delete that deletes keys.
//
// # Change feed
//
// TestWatchCrashPoints (watchcrash_test.go) cuts the power before every file
// operation of a run in which a durable watcher (WatchOptions.Durable)
// follows a writer at Written that syncs every fifth write, in every crash
// mode: a watch of the recovered store from where the watcher started must
// report every change the watcher was given, identically. The watcher
// starts before the first write, or after half of them a few changes back,
// so that it reads those from the newest segment on disk, starting at one
// of the journal's in-memory seek marks.
//
// # I/O errors
//
// TestIOErrorSweep fails the i-th file operation of a run, for every i,
// with EIO, ENOSPC or a short write, once or for good; half the failed
// fsyncs also drop the file's unsynced data, as Linux may. The error must
// reach a caller, a failed write or fsync must leave the store read-only
// (a snapshot that failed alone must not), and a power loss or a restart
// right after must keep every promised write.
//
// # Kill cycles
//
// TestCrashKill re-executes this package's test binary as a child
// (TestHelperProcess, "crash" mode) that writes from four goroutines and
// prints each acknowledgement after its call returned, and kills it with
// SIGKILL at a seeded random moment: before Open, during Open's recovery,
// or after a number of acknowledgements. A reopen of a copy must hold each
// writer's acknowledged writes as a prefix of its sequence, one log record
// per write, and nothing more than the writes in flight. The directory
// carries over between cycles, so each child recovers what the last kill
// left, and the parent snapshots it every third cycle. HURRAH_KILL_CYCLES
// sets the number of cycles and HURRAH_SEED repeats a run's choices.
//
// # Linearizability
//
// TestLinearizability records concurrent histories of Get, Set, Delete and
// CompareAndSwap calls from 8 to 16 clients, with the store closed and
// reopened mid-run, and has porcupine search each for an order that agrees
// with real time and with a sequential key-value store, partitioned by key
// (linmodel_test.go). A write that failed is of unknown outcome: it may
// take effect at any point after it began, or never. The checker must
// reject hand-made violations, and each real history with one stale read
// added. TestReopenMatchesLiveState checks the replay order alone: after
// concurrent overwrites of a few keys, a reopen equals the store as it was
// read before Close.
package reliability
