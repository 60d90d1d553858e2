package store

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/wake"
)

// The owner's side of the change feed. While at least one watcher is
// attached, the owner publishes every entry it journals (its LSN and its
// encoded command, which nobody changes once made) to a ring of fixed size
// that watchers read without a lock: a slot holds a pointer to an entry,
// and a reader that finds a later LSN in the slot it wants knows it was
// overwritten and reads the journal instead. The owner never waits for a
// watcher. With no watcher attached, publishing costs one atomic load.

// RingSize is how many entries the ring keeps: a watcher further behind
// than that reads from the journal's segments.
const RingSize = 1 << 12

// RingMaxEntry is the largest entry the ring keeps the bytes of, so that it
// holds at most RingSize*RingMaxEntry bytes (16 MiB) of entries alive: a
// larger one is published as a stub that sends watchers to the journal for
// it. An entry's shared change (LookupChange) adds its key's bytes and
// about 80 more, so in all the ring holds at most about twice that (a
// key is no longer than its entry), and about 0.4 MiB more with short keys.
const RingMaxEntry = 4 << 10

// Ring holds the entries the owner published last. Its methods are safe
// from any goroutine.
type Ring struct {
	slots [RingSize]atomic.Pointer[ringEntry] // written by the owner, read by any
	last  atomic.Uint64                       // written by the owner: the LSN published last
	moved wake.Signal                         // notified after turns that published (see wake)
	wakes wakes                               // coalesces the notifies of moved
	chunk []ringEntry                         // the owner's: room for the next entries put
	dirty bool                                // the owner's: put since the last notify
}

// ringEntry is an entry the ring holds, and its change once a watcher has
// decoded it (see LookupChange).
type ringEntry struct {
	handoff.Entry
	change atomic.Pointer[Change] // set once, by the first watcher to decode the entry
}

// Lookup results.
const (
	RingHit     = iota // the entry is in the ring
	RingAhead          // the entry is not published yet (or was before anyone watched)
	RingMissing        // the ring has moved past the entry: the watcher fell behind
	RingStub           // the ring kept only the entry's LSN: its bytes are too large to keep
)

// Lookup returns the entry with LSN lsn if the ring holds it, and what it
// found.
func (r *Ring) Lookup(lsn uint64) (handoff.Entry, int) {
	p, st := r.lookup(lsn)
	if st != RingHit {
		return handoff.Entry{}, st
	}
	return p.Entry, st
}

// lookup returns the ring's entry with LSN lsn (RingHit), or what it found
// instead.
func (r *Ring) lookup(lsn uint64) (*ringEntry, int) {
	p := r.slots[lsn%RingSize].Load()
	switch {
	case p == nil || p.LSN < lsn:
		return nil, RingAhead
	case p.LSN > lsn:
		return nil, RingMissing // overwritten
	case p.Data == nil:
		return nil, RingStub
	}
	return p, RingHit
}

// Moved returns a channel closed once the owner next publishes (see
// wake.Signal).
func (r *Ring) Moved() <-chan struct{} { return r.moved.Wait() }

// put publishes e; readers waiting are woken at the next notify.
func (r *Ring) put(e handoff.Entry) {
	if len(r.chunk) == 0 {
		r.chunk = make([]ringEntry, chunkSize)
	}
	p := &r.chunk[0]
	p.Entry = e
	if len(e.Data) > RingMaxEntry || e.Data == nil {
		p.Data = nil // a stub: read it from the journal
	}
	r.chunk = r.chunk[1:]
	r.slots[e.LSN%RingSize].Store(p)
	r.last.Store(e.LSN)
}

// chunkSize is how many entries the ring allocates at once: one allocation
// per chunkSize entries published rather than one each. An entry is never
// changed once its slot points to it.
const chunkSize = 256

// feed is an engine's ring and its watchers.
type feed struct {
	mu       sync.Mutex
	watchers int   // attached watchers; guarded by mu
	ring     *Ring // allocated at the first watcher, then kept; guarded by mu

	active    atomic.Pointer[Ring] // ring while watchers > 0, else nil: all the owner reads
	fallbacks atomic.Uint64        // see NoteFallback
}

// publish hands an entry the owner journals to the watchers, if any. They
// are woken at the end of the owner's turn (notify), once per turn rather
// than once per entry.
func (f *feed) publish(lsn uint64, data []byte) {
	if r := f.active.Load(); r != nil {
		r.put(handoff.Entry{LSN: lsn, Data: data})
		r.dirty = true
	}
}

// notify wakes the watchers waiting for what the owner published this
// turn, at once or a little later (see wake).
func (f *feed) notify() {
	if r := f.active.Load(); r != nil && r.dirty {
		r.dirty = false
		r.wake()
	}
}

// Watch attaches a watcher and returns the ring, which the owner fills
// from then on, and the LSN of the last entry the owner applied before it:
// every later entry goes to the ring. Call Unwatch once done. On a store
// without a sink entries carry no LSN, and the ring stays empty.
func (e *Engine[C, Q, R]) Watch(ctx context.Context) (*Ring, uint64, error) {
	f := &e.feed
	f.mu.Lock()
	if f.ring == nil {
		f.ring = new(Ring)
	}
	f.watchers++
	f.active.Store(f.ring)
	r := f.ring
	f.mu.Unlock()
	var last uint64
	// The owner reads active after this request reaches it: every entry
	// it logs after last is published.
	if err := e.Read(ctx, func() { last = e.lsn }); err != nil {
		e.Unwatch()
		return nil, 0, err
	}
	return r, last, nil
}

// Unwatch detaches a watcher Watch attached. Once none is left the owner
// stops publishing.
func (e *Engine[C, Q, R]) Unwatch() {
	f := &e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers--; f.watchers == 0 {
		f.active.Store(nil)
		f.ring.stopWakes()
	}
}

// stop stops the ring's timer once the owner has stopped: Close leaves
// none behind.
func (f *feed) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ring != nil {
		f.ring.stopWakes()
	}
}

// Stopped returns a channel closed once Close has stopped the engine and
// its sink: a watcher waiting for entries wakes up to end.
func (e *Engine[C, Q, R]) Stopped() <-chan struct{} { return e.stopped }

// NoteFallback counts a watcher that found the entry it wanted overwritten
// in the ring (it fell behind) and turned to the journal on disk. A stub
// (an entry too large for the ring) read from disk is not counted.
func (e *Engine[C, Q, R]) NoteFallback() { e.feed.fallbacks.Add(1) }

// Fallbacks returns how many times watchers fell back to the journal on
// disk (NoteFallback) since the engine was made.
func (e *Engine[C, Q, R]) Fallbacks() uint64 { return e.feed.fallbacks.Load() }

// Watchers returns the number of watchers attached now.
func (e *Engine[C, Q, R]) Watchers() int {
	f := &e.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watchers
}
