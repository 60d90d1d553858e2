// Package replica runs a hurrah store replicated on hashicorp/raft: every
// node holds the whole store, writes go through the leader's raft log, and
// the store survives the loss of any minority of the nodes.
//
// # The state machine
//
// Each Node runs a memory-only hurrah DB as raft's FSM. A raft log entry
// this package writes is a batch of writes (sets, with an absolute
// deadline or none, deletes, clears; see entry.go), and every node's
// owner goroutine applies the entries in log order, each as one atomic
// hurrah batch. A TTL is turned into a deadline by the node that takes
// the call, so the deadline replicates as data and every node expires the
// key when its own clock passes it.
//
// The raft log index is the position of the state: Node.AppliedIndex is
// the index of the last entry applied, and a raft snapshot holds the
// state at an index, written as the LSN of a hurrah backup (versioned,
// every record checksummed). Snapshot freezes the state with a hurrah
// View, which costs the owner next to nothing and does not stop it;
// Persist streams it while writes go on; Restore checks the whole stream
// before it replaces anything, and refuses a damaged or truncated one
// with hurrah.ErrCorrupt, leaving the state as it was.
//
// # What a restart replays, from where
//
// The local DB keeps nothing on disk: raft's stores (Config.Dir, or
// Config.LogStore, StableStore, SnapshotStore) hold everything a node
// keeps. A node
// restarted over them restores raft's newest snapshot into a new DB (at
// the snapshot's index) and then applies the log entries after it, as
// the leader tells it they are committed. So the state is always exactly
// a prefix of the log, never a mix of a local journal and the log, and
// there is no second copy of every write on disk (raft's log is the
// journal). The cost is a restart's time: a replay of the log since the
// last snapshot, which raft's snapshot threshold bounds.
//
// A restore (at a restart, or an install on a node catching up) loads
// the snapshot's keys into a map sized for them up front, bounded by the
// snapshot's size as raft's snapshot store gives it (SnapshotMeta.Size;
// from a custom Config.SnapshotStore, whose size might lie, 1M keys at
// most, and a map for more grows), so a
// snapshot whose header claims more keys than its bytes hold makes no
// room for them (TestRestoreForgedCountBounded; see snapshot_size.go).
// Its progress shows in raft's log (Config.Raft.Logger, at Info): raft
// logs "snapshot restore progress", the bytes read and the percentage,
// every 10 s and at the end, and "snapshot network transfer progress" as
// an install arrives (TestRestoreProgressInRaftLog).
//
// # Writes
//
// Writes are accepted by the leader only. On a follower they return a
// *NotLeaderError (errors.Is ErrNotLeader) naming the leader, and propose
// nothing: the caller retries there (a node does not forward; a client
// that knows the members finds the leader in one hop). Concurrent writes
// on the leader share one raft entry: one goroutine runs a raft round at a
// time, and packs all the writes that arrived meanwhile into the next
// (see rounds.go). A write returns once its entry is committed and applied
// on the leader. If leadership is lost after the write was proposed, it
// returns ErrUncertain: it may or may not be applied.
//
// # Reads
//
// Reads are linearizable by default: a read joins the next round on the
// leader and answers once that round's entry (or a raft Barrier, with no
// writes to carry) is committed and applied, which proves the node still
// leads a majority and that its store holds every write committed before
// the read began. On a follower a linearizable read returns a
// *NotLeaderError. Stale gives a fast read of any node's store as it is,
// possibly behind the leader: see Stale for how far.
//
// # A replicated System
//
// SystemNode does for a hurrah.System (the user's own State and Commands)
// what Node does for a DB, with the same rounds, membership, snapshots
// and restarts: its entries (tagged 'S', see system_entry.go) are
// batches of CBOR commands, each applied on its own, in log order, by the
// System's owner on every node. A command whose Apply fails is in the log
// but changes no node's State: every node fails it alike, and Commit
// returns its error. A snapshot is the System's backup (System.Image),
// installed with hurrah.OpenSystemBackup, which refuses a damaged one.
//
// # Backup and restore
//
// Backup writes the state in the format of the node's snapshots (a DB
// backup for a Node, a System backup for a SystemNode, which the root's
// OpenBackup, OpenSystemBackup and Restore load), frozen between two
// entries (freeze.go) at an index Backup returns: on the leader after a
// round, so it holds every write acknowledged before the call, or, with
// Stale, on any node at once. Restore (on the leader) spools a backup to
// restore-*.spool in Config.Dir (os.TempDir without one), loads it whole
// with the machine's own loader, refusing a damaged or wrong-kind one with
// nothing changed, and only then hands it to raft's user restore, which
// installs it as a snapshot at an index past the log, on every node (see
// restore_cluster.go). The machine's applied index then comes from raft's
// snapshot, not the backup's LSN. A restore holds two whole states in
// memory for a moment: the node's, and the backup's as it is checked, then
// as it is restored. Close waits for a restore raft holds.
//
// # Membership
//
// Bootstrap makes a cluster on one node; Join (on the leader) adds a node
// as a voter, which catches up from the log or, once the log is
// compacted, by a snapshot install; Remove removes one. A duplicate ID (or
// address) is refused with ErrDuplicateID.
//
// # A node's directory
//
// Config.Dir (or OpenStores) keeps raft's stores in a directory:
// raft.db, a bbolt file (raft-boltdb/v2 v2.3.1) holding the log and the
// stable store (term, vote, and the cluster name and node ID the node
// first started as), and snapshots/, raft's file snapshot store, which
// keeps the newest two. The directory is locked while open (ErrDirInUse).
// Started again on it, a node restores the newest snapshot and replays
// the log after it, as above; a node whose directory was wiped starts
// empty and, once the leader reaches it, catches up from the log or by a
// snapshot install.
//
// Why bbolt and not raft-wal (v0.4.0), measured with a 3-node cluster in
// one process (in-memory transport, stores on disk, 64 writers, five
// interleaved 5 s runs of each on the shared 2-core machine; cd
// testdata/storebench && go run . -rounds 5 -d 5s): raft-wal
// took 6,300-7,900 replicated writes/s and bbolt 2,600-3,000 (bbolt makes
// two fsyncs per append, raft-wal one); restarting the three nodes over
// the log took 0.8-1.3 s with bbolt and 0.9-1.8 s with raft-wal (an
// election dominates both). raft-wal is 2.6 times faster, but: its
// authors call it experimental; v0.4.0's Close leaves its meta database
// open and locked, so a node restarted in the same process hangs; on a
// segment with a damaged record it keeps the records before the damage
// and drops the rest without an error (34 of 302 entries, in our trial),
// where bbolt's page checks refuse the file; and it is not among the
// project's known-good dependencies. Concurrent writes share raft entries
// (a loaded log packs more writes per entry), so bbolt's cost per write is
// shared too.
//
// What a damaged directory does (stores_damage_test.go):
//   - raft.db cut short or overwritten: bbolt panics, or faults, on a
//     damaged page, and raft would meet it in its own goroutines, which
//     crash the process. OpenStores reads every page first, read-only, and
//     refuses with ErrCorruptDir; or bbolt falls back to its other meta
//     page and the node works. bbolt checks pages, not values: a
//     changed byte inside a log entry is caught by the entry's own
//     checksum (see "A damaged log entry" below).
//   - raft.db empty: what a power cut leaves as bbolt makes a new file, so
//     a new store; but beside a snapshot, ErrCorruptDir. So is raft.db
//     missing beside a snapshot (TestLostFileIsRefused): started from the
//     snapshot alone, the node would lose the writes it acknowledged
//     after it, and forget its term and vote.
//   - snapshots/ lost: harmless while the log reaches back to index 1
//     (raft replays it all: TestLostSnapshotsBesideWholeLog); once the
//     log is compacted, ErrCorruptDir, as below.
//   - a snapshot's state.bin damaged: raft's CRC check fails as it opens
//     it, and raft restores the previous one, as it documents, and
//     replays the log from there; if the log was compacted past it, raft
//     v1.7.2 would panic ("log not found"), so OpenStores refuses with
//     ErrCorruptDir. A snapshot whose hurrah checksums fail is refused
//     with hurrah.ErrCorrupt (see above).
//   - a snapshot's meta.json damaged: one that does not parse is skipped
//     by raft (as above); one that parses but names no servers is refused
//     with ErrCorruptDir. raft keeps no checksum of meta.json, so another
//     change that still parses goes undetected.
//
// Each refusal leaves the directory as it was (every check runs before
// raft-boltdb opens raft.db for writing, which writes to it), and the
// way back is the same for all: wipe the directory and start the node
// again, and it catches up from the leader. Reading every page of
// raft.db costs a restart about 0.13-0.17 s for a 40 MB log
// (BenchmarkOpenStores).
//
// Crashes: what is tested, and what is not. raft's files are written by
// bbolt (raft.db) and by raft's file snapshot store, not through hurrah's
// internal/fsseam, so the root package's crash harness (a power cut at
// every file operation, injected I/O errors) cannot reach them. What
// stands in for it:
//   - kill -9 of a node's process under a load of writes, three times
//     over (TestKillKeepsAcked), and while raft persists a snapshot
//     (TestKillDuringPersist: the node restarts from the older snapshot
//     and the log after it; the snapshot cut short, a .tmp directory
//     that raft ignores and never removes, is removed as the node opens
//     its directory, once the checks of its stores pass), with every
//     acknowledged write present after each; and the example cluster's
//     kill tests of real processes over TCP;
//   - damage after the fact: raft.db cut or overwritten at every page,
//     snapshot files cut or overwritten, raft.db or snapshots/ lost,
//     and an entry's bytes changed inside raft.db (the tests named in
//     this section and in "A damaged log entry").
//
// Not tested: a power cut. A killed process leaves the page cache to the
// kernel, which writes it out; a power cut drops what was not synced,
// and that cannot be simulated here for files hurrah does not write. The
// node relies on what the libraries document and do: bbolt fsyncs each
// commit (raft-boltdb commits each append of entries; NoSync is off), and
// raft's snapshot store fsyncs state.bin and meta.json, renames the
// directory, and fsyncs its parent. I/O errors and a full disk are
// injected at raft's calls of its stores, not under bbolt (see "A store
// that fails while the node runs").
//
// A directory records the cluster name (Config.Cluster) and the node ID
// it first started as; NewNode over it as another cluster's node or as
// another node returns ErrOtherCluster and writes nothing.
//
// # A damaged log entry
//
// Every entry this package writes ends in a CRC-32C of its bytes (entry
// version 2, and tag 's' for a System's; version 1 and 'S', written
// before, had none and are not read). A node that applies an entry whose
// checksum fails must not skip it, as it skips one every node refuses
// alike (ErrBadEntry): the others apply their whole copies, and the
// states would part. It halts instead: it applies nothing from that
// entry on (AppliedIndex stays before it), takes no snapshot, and
// answers every call (reads, writes, Join, Remove, Members, WaitLeader)
// and Health with ErrCorruptEntry (a write already in flight gets it
// with ErrUncertain: the others apply it; a node joining would catch up
// from its log and halt too: TestHaltedLeaderRefusesJoin). Its Apply and
// Snapshot return errors, which raft handles. From the moment it halts
// it says it is not the leader (IsLeader false, Leader empty), though
// its raft may lead on for a moment (TestHaltedLeaderSaysSoAtOnce).
// Then, within about raft's
// HeartbeatTimeout, it leaves the cluster's raft (Left reports it): once
// the round it was waiting for, and the Join or Remove in flight, are
// answered (TestHaltWaitsForJoinInFlight), a leader hands leadership over
// (TestHaltedLeaderHandsOverAndLeaves), and the node shuts its raft down
// (closing its transport). It no longer votes, stands for election, or
// stores entries it would never apply (its log, never compacted, would
// grow without bound); the others count it as down, so it costs the
// cluster what a node down costs: with two of three halted, no leader
// can be elected (TestHaltedNodesDoNotVote), and with all halted, none
// leads and leadership does not churn (TestAllHaltedNoChurn). Its
// directory stays as it was, and Close stops the rest (but for raft's
// own handover goroutine, which raft's Shutdown does not wait for: sent
// to a node that is down, it ends when its RPC times out). The operator
// recovers it by stopping it, wiping its directory and starting it again
// (strictly, Remove it before and Join it after: a wiped node forgets the
// vote it cast in the current term), and it catches up from the leader's
// log or by a snapshot install (TestDamagedEntryHaltsOneNode damages an
// entry inside one node's raft.db, where bbolt's page checks cannot see
// it, and goes through all of this). The damaged copy may also be the
// leader's, on its disk, sent to a follower that was catching up: that
// follower halts, and, wiped, would be sent the same bytes again. Take a
// snapshot on the leader first (Raft().Snapshot()), so that a node behind
// it is sent the snapshot instead of the entries it covers.
//
// The checksum covers this package's entries, not raft's own
// (configuration changes, no-ops) nor raft's framing of an entry in its
// log store. A node started over a log with such damage after its
// snapshot is refused with ErrCorruptDir (raft v1.7.2 would panic as it
// reads the log at start: TestDamagedConfigEntryIsRefused). An entry
// raft cannot read later, to apply it, stops the node with
// ErrStoreFailed (see the next section). A changed byte inside a
// configuration change that still decodes goes undetected. The check costs a CRC-32C
// over each entry on the leader and on every node: about 50 ns per KiB
// (15-19 GB/s measured here), next to 5-12 µs of CPU per replicated
// write.
//
// # A store that fails while the node runs
//
// What raft v1.7.2 does when one of its stores fails while it runs,
// leader or follower, and what the node does (stores_guard.go; the
// tests are stores_fault*_test.go):
//   - the log store fails to append (an I/O error, a failed fsync, a
//     full disk): on the leader raft answers the entries' futures with
//     the error and steps down; on a follower it refuses the entries and
//     the leader sends them again. Graceful, but bbolt's state after a
//     failed commit, and raft's after a partial one (a follower's
//     conflicting entries deleted, the new ones not written), are in
//     doubt;
//   - it fails to read an entry: to send it to a follower, or to compare
//     an entry's term, raft refuses and retries; to apply it, raft
//     panics in its main goroutine, which ends the process. bbolt
//     panics on a damaged page, and an I/O error reading its mapped file
//     is a fault, wherever the call is;
//   - the stable store fails to write the current term: raft panics. To
//     write a vote (two keys, the term and then the candidate): raft
//     grants no vote, but with the term written and the candidate not
//     (or the process killed between the two), it grants, even after a
//     restart, the candidate of its older vote a vote in this term
//     without comparing logs: one with a stale log could be elected and
//     overwrite committed entries. So the guard writes a candidate no
//     node is before the term: a vote half written then refuses every
//     candidate in its term (TestVoteHalfWrittenGrantsNone). A failed
//     read: no vote granted;
//   - the snapshot store fails to make, write or finish a snapshot:
//     raft reports it and keeps the log (a snapshot cut short leaves a
//     .tmp directory, removed at the next start); on a follower taking
//     an install, raft refuses it, the state unchanged, and the leader
//     sends it again. A snapshot damaged on the leader's disk fails
//     raft's CRC check as it opens it to send, and raft retries the same
//     one until its next snapshot. One damaged on its way (raft's
//     transport has no checksum) is refused by the follower's Restore,
//     its state unchanged, and sent again (TestSnapshotGarbledInTransit);
//     but raft leaves it on the follower's disk, its newest snapshot,
//     which passes the store's CRC (computed over the garbled bytes): it
//     tries it first at every start (falling back to the older), and a
//     node that leads sends it to a follower that needs an install.
//
// A node runs its log and stable stores behind a guard that stops the
// node, not the process, at the first failure (any error but "not
// found", or a panic or fault inside the call): the machine halts with
// ErrStoreFailed, which wraps the store's error (or the panic's value,
// if an error; the panic's stack goes to raft's logger:
// TestStoreFaultPanicKeepsCause), before the call returns; the guard refuses every write after it (no vote, no entry,
// no term lands, so the node can neither grant a vote nor win one);
// where raft would panic it does not return the error: it hands raft a
// stand-in entry that the halted machine applies as nothing, or, for
// the term, returns nil (raft keeps the term in memory only, harmless
// in a node that can no longer vote or store), so raft runs on and
// answers every future. Then the node leaves raft as a halted one does
// (see above; a leader first proposes a barrier, which the guard
// refuses to store, so raft steps down: a leader that could not read
// the entries it sends would lead on, its writes never committed), and
// every call returns ErrStoreFailed; a write in flight returns it, or
// the step-down's error, with ErrUncertain (TestStoreFaultLeaderAppend,
// ...FollowerAppend, ...FollowerReadToApply, ...TermWrite,
// ...LeaderTermWrite, ...VoteWrite, ...VoteRead, ...PanicInStore,
// ...Kinds; and bbolt's panic on pages damaged under a running node:
// TestBoltDamagedWhileRunning). Close it, mend the cause, and start it
// on the same stores: it holds every write it acknowledged
// (TestStoreFaultRestartKeepsAcked), or ErrCorruptDir says they are
// damaged. Which of raft's calls would panic is read from the call's
// stack (raft v1.7.2's function names; those tests fail, crashing, if an
// upgrade renames them). Until it has left, a halted node takes no
// snapshot install either: raft writes one to the snapshot store before
// Restore sees it, and the store refuses to make one once the machine
// has halted (TestHaltedNodeTakesNoInstall). Snapshot store failures do
// not stop the node: raft handles them (TestStoreFaultSnapshotStore),
// and a leader whose newest snapshot fails to open for a send takes a
// new one at once (TestDamagedSnapshotOnLeaderIsRetaken). A snapshot
// that Restore refuses as damaged (hurrah.ErrCorrupt), as an install or
// at a start (there, once an older one restores: a start at which all
// are refused, as by a build whose State they do not decode into, moves
// none, TestDiscardKeepsSnapshotsOfAnotherState), is moved out of a
// node directory's snapshot store to Dir/refused, which keeps the last
// one, for the operator
// (TestGarbledInstallIsDiscarded); a follower killed right after a
// garbled install landed on its disk starts from its older snapshot and
// the log, removes the garbled one, and catches up
// (TestGarbledInstallRestart). The guard
// costs 10-20 ns a store call (BenchmarkGuard). A store failing as the
// node bootstraps stops it the same way, Bootstrap returning
// ErrStoreFailed (raft would panic on a failed read of the first entry,
// just written), and what landed before the failure stays: the cluster
// (a restart leads it), the term alone (raft then refuses to bootstrap
// the directory: it holds no entry, so wipe it or Join the node), or
// nothing (TestStoreFaultBootstrap).
//
// # The network
//
// NewTransport gives raft a TCP transport (raft's NetworkTransport over
// this package's stream layer). With TransportConfig.TLS set, every
// connection is mutual TLS 1.3: each node presents its certificate when
// it dials and when it is dialed, and accepts a peer only with a
// certificate the cluster CA signed that is valid now; a dialing node
// also checks that the certificate names the address it dialed.
// MutualTLS builds such a config from PEM files. A node without such a
// certificate (another CA's, an expired one, none) cannot send entries
// or ask for votes: its connections are refused and the cluster's state
// is unchanged. With TLS nil the transport is plaintext TCP, for a
// trusted network. The handshake of an accepted connection runs in
// raft's goroutine for it, bounded by TransportConfig.Timeout, so a slow
// peer delays no other.
//
// TransportConfig.Cluster sends the cluster's name first on every
// connection, and a transport refuses a connection that names another
// (or none): two clusters cannot exchange a message, TLS or not. Join,
// on a transport NewTransport made, first connects to the new node as
// raft will, and refuses, changing nothing, a node of another cluster
// (ErrOtherCluster) or one it cannot reach, whose certificate it does
// not trust, or that does not trust this node's (ErrUnreachable, saying
// which; over TLS a connection's first exchange is the cluster name,
// empty if none is set, so that TLS 1.3's late report of a refused
// client certificate arrives before anything is sent). Without the check, raft would add it as a
// voter: a node of another cluster would have its log overwritten, or
// with a higher term unseat the leader.
//
// # An example cluster
//
// The command in examples/cluster runs one node per process with an HTTP
// API (get, put, delete, join, remove, status), raft's stores under a
// directory, mutual TLS and a bearer token; "go run ./examples/cluster
// -local 3" starts three of them on loopback. Its followers forward
// requests to the leader's API: the example's choice, made on top of
// this package's *NotLeaderError. The README walks through it with curl.
package replica
