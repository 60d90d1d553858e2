package replica

// The freeze. A machine's state and its index move together only
// between two entries: Apply changes the store in steps (a Clear splits
// an entry's batch; a System applies its commands one by one) and then
// moves applied, and Restore swaps the store and moves applied. Both hold
// the machine's freeze mutex while they do, and frozen takes it to freeze
// the state (a hurrah View, or a System's image) with its index: so a
// snapshot, and a Backup from any goroutine, hold whole entries only, at
// the index they say. Raft's Snapshot runs in its FSM goroutine, between
// two Applies already; Backup runs in the caller's.
//
// The mutex costs Apply one uncontended Lock and Unlock an entry (an
// entry packs some 30 writes on a busy leader): BenchmarkWrites, A/B
// against the code without it, is in the README ("Backup and restore of
// a cluster"). A backup holds it only while it freezes the state, which
// for a DB is a View (next to nothing), and for a System the encoding of
// its State in the owner (as raft's snapshots do already).
