package handoff

// Entry is one applied mutation: its log sequence number and its encoded
// command. Data is opaque to the journal.
type Entry struct {
	LSN  uint64
	Data []byte
}

// Waiter is a caller waiting for its mutation to reach a durability level.
// Done is called exactly once, from whichever goroutine settles it; it must
// not block.
type Waiter interface {
	Done(err error)
}

// Parcel is the unit the owner goroutine hands to the journal: the entries
// it applied, in LSN order with no gaps, and the waiters to settle once those
// entries (and everything before them) are written or synced.
//
// After the hand-off the journal owns the Parcel; the sender must not touch
// it.
type Parcel struct {
	Entries    []Entry
	AfterWrite []Waiter // settled once the entries are handed to the OS
	AfterSync  []Waiter // settled once the entries are on stable storage
	// Rotate asks the journal to start a new segment once this parcel is
	// written, if the current one holds any entries, so that a snapshot
	// at the last LSN so far covers whole segments.
	Rotate bool
}

// Empty reports whether the parcel carries nothing at all.
func (p *Parcel) Empty() bool {
	return len(p.Entries) == 0 && len(p.AfterWrite) == 0 && len(p.AfterSync) == 0 && !p.Rotate
}
