// Command hurrah inspects and repairs the directory of a hurrah store.
//
// Usage:
//
//	hurrah check DIR    report what the store's journal holds, changing nothing
//	hurrah repair DIR   cut a corrupt journal back to its last sound record
//
// check reads every journal segment the way opening the store would and
// prints the number of segments and records, the last sequence number
// (LSN), any torn tail (the normal remains of a crash, which opening the
// store cuts off by itself) and any corruption (damage to data that had been
// made durable, which makes opening the store fail with ErrCorrupt). When
// the journal is corrupt, it also prints what repair would set aside and
// which records would be lost.
//
// repair runs hurrah.Repair: it cuts the journal just before the first
// damaged record, keeps every byte it cuts in ".corrupt" files next to the
// segments, and prints what it did. Every record after the damage is lost
// to the store. Run check first.
//
// Both commands take the store's directory lock, so they fail while a
// program has the store open.
//
// Exit status: 0 when the journal is sound (check) or the repair succeeded
// (repair); 1 when check finds corruption; 2 for a usage error or any other
// failure (the directory is missing or locked, or holds files of a newer
// format version).
package main
