// Command hurrah inspects, repairs and prunes the directory of a hurrah
// store.
//
// Usage:
//
//	hurrah check DIR             report what the store's journal and snapshots hold, changing nothing
//	hurrah repair DIR            cut a corrupt journal back to its last sound record
//	hurrah prune DIR [-keep N]   remove all but the newest N snapshot files (default 2)
//
// check reads the store the way opening it would, and prints:
//
//   - every snapshot file, with its LSN, its number of records and its size,
//     and whether it passes its checks: "sound", "corrupt" (with where and
//     why; opening the store passes over a corrupt snapshot for an older
//     one), or "does not restore" (its checksums pass but its records are
//     not an image of a store; opening the store fails on it);
//   - which snapshot opening the store restores, and whether the journal
//     reaches back to it: once a snapshot is saved, the journal segments it
//     covers are removed, so the journal may start at any LSN up to the
//     snapshot's plus one, and must;
//   - the number of journal segments and records, the last sequence number
//     (LSN) the store holds, any torn tail (the normal remains of a crash,
//     which opening the store cuts off by itself) and any corruption (damage
//     to data that had been made durable, which makes opening the store fail
//     with ErrCorrupt).
//
// When the store is corrupt, check also prints what repair would set aside
// and which records would be lost, or, if repair cannot help, why.
//
// repair runs hurrah.Repair. For damage in the journal, it cuts the journal
// just before the first damaged record, keeps every byte it cuts in
// ".corrupt" files next to the segments, and prints what it did. Every
// record after the damage is lost to the store. A snapshot changes that in
// two cases: damage in segments the snapshot holds in full sets those
// segments aside and loses nothing; damage that would leave a journal
// ending before the snapshot sets every segment aside, and the store
// restarts from the snapshot.
//
// As for snapshots, repair deletes none. A snapshot that fails its checks
// is left where it is, since opening the store passes over it. One that
// passes them but does not restore makes opening the store fail; repair
// renames it to "<name>.corrupt" if an older snapshot, or the whole
// journal, holds what it held. If the journal does not reach back to the
// snapshot opening the store can restore (its beginning is missing, or the
// newest snapshot, after which the journal was shortened, is damaged), the
// records in between are nowhere in the directory: repair changes nothing
// and says so, and check reports the store as one that repair cannot fix.
// Restore it from a backup.
//
// prune removes all but the newest N snapshot files (N at least 1, 2 by
// default), oldest first, and prints what it removed. It refuses, removing
// nothing, if none of the N it would keep passes its checks while older
// ones exist: the snapshot opening the store restores would be among those
// removed. -keep may come before or after DIR.
//
// Every command takes the store's directory lock, so it fails while a
// program has the store open.
//
// Exit status: 0 when the store is sound (check), the repair succeeded or
// found nothing to do (repair), or the snapshots were pruned (prune); 1
// when check finds corruption, whether repair can fix it or not; 2 for a
// usage error or any other failure (the directory is missing or locked,
// holds files of a newer format version, or cannot be repaired or pruned).
package main
