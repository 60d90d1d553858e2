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
// The local DB keeps nothing on disk: raft's stores (Config.LogStore,
// StableStore, SnapshotStore) hold everything a node keeps. A node
// restarted over them restores raft's newest snapshot into a new DB (at
// the snapshot's index) and then applies the log entries after it, as
// the leader tells it they are committed. So the state is always exactly
// a prefix of the log, never a mix of a local journal and the log, and
// there is no second copy of every write on disk (raft's log is the
// journal). The cost is a restart's time: a replay of the log since the
// last snapshot, which raft's snapshot threshold bounds.
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
// # Membership
//
// Bootstrap makes a cluster on one node; Join (on the leader) adds a node
// as a voter, which catches up from the log or, once the log is
// compacted, by a snapshot install; Remove removes one. A duplicate ID (or
// address) is refused with ErrDuplicateID.
package replica
