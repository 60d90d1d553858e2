package hurrah

import "fmt"

// Durability says when a write is acknowledged, and so what it survives.
//
//	level       acknowledged when            survives kill -9          survives power loss
//	MemoryOnly  applied in memory             no                        no
//	Buffered    applied; journal follows      what a Sync covered*      what a Sync covered*
//	Written     handed to the OS (write(2))   yes                       what a Sync covered*
//	Synced      on stable storage (fsync)     yes                       yes
//
// * or a Close; the journal writes and fsyncs on its own too, so usually
// all but the last few writes (Buffered) or the last SyncInterval survive,
// but only what a Sync or Close covered is promised.
//
// Whatever the level, a write is visible to readers as soon as it is applied,
// which can be a moment before it is acknowledged.
type Durability uint8

const (
	// DefaultDurability is Written for a store with a directory and
	// MemoryOnly for one without.
	DefaultDurability Durability = iota
	// MemoryOnly keeps nothing on disk; the store is empty at every Open.
	MemoryOnly
	// Buffered acknowledges a write once it is applied; the journal writes
	// it a moment later and syncs every SyncInterval.
	Buffered
	// Written acknowledges a write once the journal has handed it to the
	// operating system, so it survives the process dying; the journal
	// syncs every SyncInterval.
	Written
	// Synced acknowledges a write once it is on stable storage. Concurrent
	// writers share each fsync (group commit). A conditional write that
	// changes nothing (SetIfAbsent finding the key, a Delete of a missing
	// key, a CompareAndSwap that does not swap, an Update that writes
	// nothing) answers once the state it read is durable, joining the next
	// group commit. An error returned by an Update's function, or by a
	// System's Command, is answered at once at every level.
	Synced
)

var durabilityNames = [...]string{"default", "memory-only", "buffered", "written", "synced"}

// String returns the level's name.
func (d Durability) String() string {
	if int(d) < len(durabilityNames) {
		return durabilityNames[d]
	}
	return fmt.Sprintf("Durability(%d)", uint8(d))
}
