package store

import "github.com/hurrahdb/hurrah/internal/handoff"

// One decoding of an entry for all the watchers: most entries are one set
// or one delete, and each of N watchers decoding it on its own (a key and
// a value copied out, N allocations an entry) was most of what N watchers
// cost; BenchmarkWatchWrites's profile with 16 watchers.

// notShared marks a ring entry that is not one set or one delete: each
// watcher decodes it with Changes.
var notShared = new(Change)

// LookupChange is Lookup, and for an entry the ring holds that is one set
// or one delete (the most common entries), its change, decoded once by
// the first watcher to ask and shared by all the others: c is read-only,
// and its Value aliases the entry's bytes, so a watcher copies it before
// it hands it out. c.Key is a string of its own, which pins nothing else.
// c is nil for any other entry: decode e.Data with Changes.
func (r *Ring) LookupChange(lsn uint64) (e handoff.Entry, c *Change, st int) {
	p, st := r.lookup(lsn)
	if st != RingHit {
		return handoff.Entry{}, nil, st
	}
	c = p.change.Load()
	if c == nil {
		c = sharedChange(p.Data)
		if !p.change.CompareAndSwap(nil, c) {
			c = p.change.Load() // another watcher decoded it first: share its
		}
	}
	if c == notShared {
		c = nil
	}
	return p.Entry, c, RingHit
}

// sharedChange decodes data if it is one set or one delete, and returns
// notShared otherwise.
func sharedChange(data []byte) *Change {
	op, key, value, ok := parseSimple(data)
	if !ok || (op != OpSet && op != OpDelete) {
		return notShared
	}
	return &Change{Op: op, Key: string(key), Value: setValue(op, value)}
}
