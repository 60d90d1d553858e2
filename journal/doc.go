// Package journal is hurrah's write-ahead log: an actor that appends
// parcels of opaque entries to segment files, acknowledges them once written
// or once fsynced, and replays them when the directory is opened again.
//
// The package exists for hurrah. It is importable (hurrah and its command
// use it), but its API carries no compatibility promise to other users: it
// changes when hurrah needs it to, and it exports only what they call. The
// readers and writers of the format stay unexported, with their tests and
// fuzz targets beside them. What is stable is the on-disk format, which format.go
// and snapshot_format.go draw and segmentVersion and snapshotVersion number.
//
// The files, one idea each: journal.go (Open and the API) and writer.go
// (the actor that writes) with syncer.go (its fsyncs) and fsync_stats.go
// (timing them, and the Events hooks); format.go, frame.go
// and segment.go (the segment format, framing and checking a segment);
// log_reader.go (the one scan of the log that Open and Repair share) and
// snapshot_choice.go (the one rule choosing the snapshot they restore);
// recover.go (the steps only Open takes); repair*.go (Repair); snapshot_*.go
// (snapshot files); compact.go, closed.go (the clean-close marker) and
// dir.go (the directory's files).
//
// # Basics
//
// The store's owner goroutine stamps every mutation it applies with the next
// log sequence number (LSN, contiguous from 1) and hands the journal a
// *handoff.Parcel: the entries, the waiters to settle once they are written
// (AfterWrite) and those to settle once they are on stable storage
// (AfterSync). Append only queues the parcel. The journal's goroutine drains
// what is queued (up to Options.MaxDrain parcels), frames all their entries
// and writes them with one write, and settles the AfterWrite waiters.
//
// Fsyncs run on a second goroutine the journal owns, the syncer, so that no
// write and no AfterWrite waiter ever waits for one. Each AfterSync waiter is
// queued with the offset its data reached and settled once an fsync that
// covers it has completed. One fsync runs at a time, over the segment as it
// stood when the fsync was asked for; the sync waiters that arrive while it
// runs, and that it does not cover, all share the next one, asked for as
// soon as it completes (group commit). A parcel with only AfterSync waiters
// is how a Sync is asked for: it costs nothing if all that is written is
// synced, and otherwise waits for the first fsync that covers all that was
// written before it. A parcel whose only waiters are AfterSync waiters gains
// nothing from being written before the fsync it needs can start, so while
// one runs such parcels are held, up to a bound, and written together with
// one write when it completes; a parcel with AfterWrite waiters, or with none
// at all, is written at once, with whatever is held before it. A ticker
// asks for an fsync every Options.SyncInterval if anything was written
// since the last one and none is running. A rotation waits for the fsync
// running, fsyncs the rest of the full segment itself, and settles every
// sync waiter before it starts the next segment.
//
// Close writes what is queued, waits for the fsync running and fsyncs the
// rest. It then records that fsync: unless the last frame written already
// says all of the segment is synced, it appends a frame with no entries
// whose synced offset is the segment's size, and fsyncs that too, so that
// recovery (step 3) judges damage anywhere before it to be corruption, not
// a torn tail. Last, with the segment closed, it leaves the clean-close
// marker naming the last LSN (closed.go), by a rename of the one before,
// and fsyncs the directory. Opening and closing a journal without writing
// changes nothing.
//
// A parcel with Rotate set asks for a new segment once it is written (if the
// current one holds any entries): the store sets it, with a sync waiter,
// when it takes a snapshot, so that the snapshot covers whole segments and
// CompactSegments can remove them once the snapshot is durable. Snapshot
// files (snapshot_format.go) are written beside the segments by CreateSnapshot;
// the journal's actor never touches them.
//
// The journal knows nothing about keys: an entry is an LSN and some bytes.
// The byte layout of segments and frames is drawn in the documentation of
// the format constants (segmentMagic, segmentVersion and the rest, in format.go).
//
// # Concurrency
//
// A Journal's methods are safe for concurrent use, and Err and NextLSN are
// cheap. Entries must arrive in LSN order, so parcels with entries come from
// one goroutine at a time; parcels with waiters only may come from anywhere.
// Waiters are settled from the journal's goroutine and must not block.
//
// # Failures
//
// When a write, an fsync (the syncer's, or one at a rotation or at Close), a
// segment rotation or the creation of a file fails, the journal turns
// read-only: the waiters of the parcels being handled, every sync waiter
// still queued and the waiters of every later parcel get an error wrapping
// ErrReadOnly and the cause, Err returns it, and nothing is retried or
// acknowledged until the directory is reopened (after a failed fsync the
// kernel may have dropped the dirty pages, so a retry that succeeds proves
// nothing). A parcel whose LSNs do not continue the log does the same, with
// ErrInvalidParcel. A journal that has failed records no fsync at Close.
//
// # Recovery
//
// Open recovers a directory in these steps:
//
//  1. Create the directory and its parents if they are missing, fsyncing
//     the directory that holds each new one, and the directory's parent in
//     any case (an earlier Open may have died before it could); then take
//     the exclusive lock on its LOCK file; if another holder has it, fail
//     with ErrLocked.
//  2. If Options.Restore is set, read the snapshots (the files named as
//     snapshotName names them), newest first, and hand the first that
//     passes every check (decodeSnapshot) to Restore; From becomes its LSN if that is higher. A snapshot that fails
//     its checks is corruption, but recovery passes over it for an older one
//     (Report.Skipped lists it): if the log then does not reach back far
//     enough (step 3), Open fails with errors that name the skipped
//     snapshots and the gap. A snapshot of a newer version fails with
//     ErrVersion; an error from Restore is corruption of that snapshot.
//     Then list the segments: files named exactly 20 digits and ".wal".
//     Sort them; ignore every other file.
//  3. Read and check each segment in order (scanSegment). The header must
//     pass its checksum (a header that fails it is damaged, and judged as
//     below), be of a version this package reads (else ErrVersion), and give
//     the LSN in the file's name; the first segment must start at or before
//     From+1, every other one exactly where the previous one ended.
//     Frames follow from offset 32. A frame whose checksums pass but whose
//     contents do not decode, whose type is unknown or whose first LSN does
//     not continue the log is corruption (ErrCorrupt, a *CorruptError with
//     file and offset): no torn write explains it. A damaged frame (a
//     checksum fails, or the data ends inside it) at offset X is corruption
//     in any segment but the last. In the last one, every later offset is
//     tried for a frame that fully verifies: if one records an fsync beyond
//     X, the damage is in data that had been made durable, and that is
//     corruption; otherwise it is a torn tail starting at X. A damaged
//     header in the last segment is judged the same way with X = 0 (the
//     file was being created). Entries with an LSN up to From are skipped;
//     the others are passed to replay, in LSN order. The log must reach at
//     least From.
//     Then, if a clean Close left its marker (closed.go), the log (with the
//     snapshot restored) must reach the LSN it names; if it ends before,
//     whole files were lost (the newest segments, or all of them), and
//     that is corruption naming the first missing segment. Repair accepts
//     such a loss by moving the marker to the log's new end.
//  4. Nothing on disk changes until every segment has been checked: an Open
//     that fails in steps 1 to 3 leaves the directory as it found it, but
//     for creating it and its (empty) LOCK file if they were missing.
//  5. If Options.Restore is set, stray snapshot temp files (a snapshot being
//     written when the process died) are removed. A
//     torn tail at X is cut but kept: its bytes are written to
//     "<segment>.<X>.torn" and fsynced, the directory is fsynced, then the
//     segment is truncated to X and fsynced. If the header itself is torn
//     (X < 32), the whole segment is renamed to "<segment>.0.torn" instead,
//     the directory is fsynced, and recovery goes on as if the file had
//     never been there. If a ".torn" file of that name exists already, the
//     name gets a "-1", "-2"... before ".torn", so nothing set aside is
//     ever overwritten. Report.Torn says what was done.
//  6. The newest segment is opened for appending and fsynced, then the
//     directory is fsynced (a process that died creating the segment may
//     have left its name unsynced); if there is none, the segment for the
//     next LSN is created: its header is written and fsynced, then the
//     directory is fsynced. Rotation creates a
//     segment the same way, after fsyncing and closing the full one.
//  7. The actor starts.
//
// Every frame records how far its segment had been fsynced when it was
// written, which is what lets step 3 tell a torn tail from lost durable
// data. The bytes cut in step 5 are never deleted by the journal.
//
// # Repair
//
// A directory that Open refuses with ErrCorrupt can be made openable again
// with Repair: it cuts the log just before the first damaged record, writes
// the rest of that segment to "<segment>.<X>.corrupt", renames every later
// segment to "<segment>.corrupt", and fsyncs what it changed. Every record
// from the damage on is lost to the store, but nothing is deleted. With
// RepairOptions.DryRun it only reports what it would do.
//
// With RepairOptions.Restore, Repair judges the directory as Open does with
// snapshots: from the snapshot Open would restore. Damage in segments that
// snapshot wholly covers is set aside without losing anything; a snapshot
// that passes its checks but fails to restore is renamed to
// "<name>.corrupt" only if the log reaches back to the snapshot before it
// (or to LSN 1); a snapshot that fails its checks is reported and left,
// since Open passes over it. When the log does not reach back to the
// snapshot Open can use, Repair changes nothing and says why
// (RepairReport.Unrepairable). Repair's own doc comment has the details.
//
// # Testing
//
// Beside the unit tests, every reader of bytes from disk has a fuzz target
// in this package: FuzzDecodeFrame, FuzzScanSegment (the log replay
// target: a valid segment, mutated as a torn write or corruption would),
// FuzzScanSegmentRaw and FuzzDecodeSnapshot, in fuzz_*_test.go, each doc
// comment saying what must hold, with their seed corpora in testdata/fuzz
// and the inputs of fixed bugs in testdata/bugs. internal/fuzzkit states
// the method and holds what they share with the store's targets. Tests
// outside the package that build or damage files read the format through
// internal/testkit, which TestTestkitFormat pins to this package's own.
package journal
