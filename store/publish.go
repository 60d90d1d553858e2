package store

import (
	"math/rand/v2"
	"sync/atomic"
)

// Publication: reads that skip the owner while nothing has changed.
//
// The owner publishes a frozen image of the state (KV.freeze: no copy,
// and without the ordered index, which only scans use)
// in an atomic pointer when it ends a turn in which reads came to it, and
// clears the pointer before it applies the next mutation. Any goroutine
// may answer a read from the image it finds there (Engine.Lookup), with no
// lock and no round trip; if it finds none, the read goes to the owner as
// before.
//
// Why this is linearizable. The owner keeps one invariant: while the
// pointer holds an image, the state is exactly the image. It stores the
// image after freezing it and before anything else touches the state, and
// it stores nil before it applies any mutation (Update or Exec, whatever
// the command: one that changes nothing just clears the pointer for
// nothing). A read from the image takes effect at the atomic load that
// found it (the second load in Lookup): at that instant the pointer held
// the image, so the state was the image, and the read answers from the
// state of that instant, which lies inside the read's call. Every other
// operation takes effect where the owner runs it, as before. Atomic loads
// and stores are sequentially consistent in Go, and the owner's runs are
// in program order with its stores, so all these points are in one total
// order that agrees with real time. A mutation M that any caller has seen
// (its acknowledgement, a read the owner answered after it, a change-feed
// entry) was applied after the nil store that preceded it, so a load that
// follows the observation cannot find an image older than M.
//
//   - A write that changes nothing (a delete of a missing key, a CAS that
//     did not swap, SetAbsent of a present key, a Tx that only read)
//     clears the pointer like any other: it is still true afterwards that
//     the state is what the image holds, but the owner does not know
//     which commands change nothing before running them.
//   - CAS, SetAbsent and Tx are mutations the owner runs: they clear the
//     pointer first, and read and change the state in one step.
//   - Clear replaces the KV's map and drops the images' hold on the old
//     one (a new generation): the retired image keeps the old map, which
//     the owner never touches again, so readers still inside it are safe.
//   - Expiry. The image hides a key whose deadline has passed by reading
//     the clock at each Get (image.Get), as the owner does at each turn.
//     The owner's removal of expired keys (OpExpire) does not clear the
//     pointer: it removes only keys whose deadline is at or before its
//     clock reading, which every later read hides already, from the image
//     as from the state. Setting or moving a deadline is a mutation, and
//     clears it. (As for every read path, this needs a clock that does
//     not go back.) A read that needs the clock (a key with a deadline)
//     takes effect at its clock reading instead, and checks after it
//     that the image is still current (pubState.now), else asks the
//     owner: a reader that stalled past a retire would otherwise judge
//     the image's deadlines by a clock read when the state was no longer
//     the image. LookupMany reads the clock once for all its keys.
//   - Snapshots, views and folds change how the state is stored, not what
//     it holds: a fold runs only once no image shares the maps (below).
//   - Restore and Replay run before Start; nothing is published until
//     the owner's first turn. (hurrah's Restore writes a directory no
//     store has open; an Import is a run of writes.)
//   - Close: the owner clears the pointer when it stops, and the caller
//     (the root package) refuses reads after Close before it looks.
//
// Reclaiming an image. A published image shares the KV's maps, so the
// publication holds the KV's images open (KV.shared) and the owner writes
// to the overlay meanwhile. A reader announces itself in a striped
// counter before it loads the pointer the second time, and counts itself
// out once it has read. Once the owner has cleared the pointer, counters
// that show nobody inside (readers) mean nobody reads a retired image: any
// reader that announces itself later finds nil (or a newer image, which
// the owner holds) at its second load. The owner only looks at the
// counters at the end of its turns; it never waits. Once nobody is
// inside, it releases the maps and folds as before.
//
// What it costs writes. Each publication after a write turns the overlay
// into a frozen layer (Freeze), which readers look through and which the
// owner folds back once nothing holds it. So that layers do not pile up,
// the owner stops publishing once maxPubLayers are stacked: it lets the
// readers drain, folds, and publishes afresh. It publishes only after a
// read came to it (a read that found no image): a store that is only
// written never publishes, and pays nothing.

// maxPubLayers is the most frozen layers the owner stacks by publishing:
// past it, it stops publishing until it has folded them back. A lookup
// probes each layer (a small map) before the base map.
const maxPubLayers = 4

// pubStripes is how many counters readers announce themselves in: each
// picks one at random, so readers on different cores seldom share a cache
// line.
const pubStripes = 16

// publisher is implemented by machines whose state can be published for
// lock-free reads (KV).
type publisher interface {
	// freezeImage freezes the state, as Snapshotter.Freeze does.
	// It returns the generation of the state it froze.
	freezeImage() (*image, func(), uint64)
	// pubDebt reports the work a fold has to do: how many frozen layers
	// there are, whether changes wait in the overlay (a freeze would
	// stack a layer), and how many entries there are to fold in all; and
	// whether the publication, whose freezeImage returned gen, is all
	// that keeps the machine from folding them.
	pubDebt(gen uint64) (layers int, pending bool, debt int, alone bool)
}

// pubState is the engine's publication. Fields without a comment are the
// owner's.
type pubState struct {
	m       publisher // the machine, if it publishes; else nil
	live    bool      // cur holds an image
	wanted  bool      // a read came to the owner since the last publication
	release func()    // the hold on the machine's maps, while published or while readers may read a retired image
	gen     uint64    // the generation of the state release holds

	// What readers touch, on cache lines of its own: the owner's fields
	// above change at every turn that reads or writes.
	_        [64]byte
	cur      atomic.Pointer[image] // any goroutine: the current image, or nil
	_        [56]byte
	inflight [pubStripes]pubCount // any goroutine: readers inside an image, by stripe
}

// pubCount counts the readers of one stripe, on a cache line of its own:
// in counts those that announced themselves (less those that found no
// image), out those that have read. in-out readers are inside an image.
type pubCount struct {
	in, out atomic.Uint64
	_       [48]byte
}

// Lookup answers a read of key from the published image, if the owner has
// published one that is current, and reports ok; a linearizable read, as
// if the owner had answered it (see the comment at the top of this file).
// Otherwise ok is false and the caller asks the owner. It never blocks,
// and is safe from any goroutine. The value must not be changed.
func (e *Engine[C, Q, R]) Lookup(key string) (v []byte, found, ok bool) {
	im, c := e.pub.enter()
	if im == nil {
		return nil, false, false
	}
	en, found := lookupEntry(im.m, im.layers, key)
	v = en.v()
	if found && en.at != 0 {
		now, cur := e.pub.now(im)
		if !cur {
			c.in.Add(^uint64(0)) // leaves as a reader that read nothing: the owner answers
			return nil, false, false
		}
		if en.at <= now {
			v, found = nil, false
		}
	}
	c.out.Add(1)
	return v, found, true
}

// LookupMany answers reads of keys from the published image, as Lookup
// does, all as of one instant: it calls each with every key's index, value
// and presence, and reports ok. Otherwise it calls nothing and reports
// false, and the caller asks the owner. It is not counted in
// Stats.LockFreeGets.
func (e *Engine[C, Q, R]) LookupMany(keys []string, each func(i int, v []byte, found bool)) (ok bool) {
	im, c := e.pub.enter()
	if im == nil {
		return false
	}
	var now int64 // one clock reading for all: expiry too as of one instant
	if im.exp != nil {
		var cur bool
		if now, cur = e.pub.now(im); !cur {
			c.in.Add(^uint64(0))
			return false
		}
	}
	for i, k := range keys {
		v, found := im.getAt(k, now)
		each(i, v, found)
	}
	c.in.Add(^uint64(0)) // leaves as a reader that read nothing: uncounted
	return true
}

// enter announces a reader and returns the current image, with the stripe
// the reader must leave by (out.Add(1), or in.Add(-1) to go uncounted),
// or nil if none is published.
func (p *pubState) enter() (*image, *pubCount) {
	if p.cur.Load() == nil {
		return nil, nil // most reads while writes go on: leave the counters alone
	}
	c := &p.inflight[rand.Uint32()%pubStripes]
	c.in.Add(1)
	im := p.cur.Load() // the read takes effect here
	if im == nil {
		c.in.Add(^uint64(0)) // not a read: the owner will count it
		return nil, nil
	}
	return im, c
}

// now reads im's clock and reports whether im was still the current
// image after it did. If so, im was current at that reading (the owner
// never publishes an image again once it has cleared it): expiry judged
// by it is as of an instant at which the state was im. A reader that
// loaded im and then stalled while the owner retired it and wrote, and
// the clock passed a deadline the write replaced, would otherwise hide a
// key that was never gone while it read.
func (p *pubState) now(im *image) (int64, bool) {
	now := im.exp.clock()
	return now, p.cur.Load() == im
}

// readers reports whether any reader may be inside an image. For each
// stripe it loads out before in: in-out never goes below zero, and out
// only grows, so if in equals the out loaded before it, nobody was inside
// when in was loaded; the readers that announce themselves later find
// the pointer the owner cleared before calling this.
func (p *pubState) readers() bool {
	for i := range p.inflight {
		c := &p.inflight[i]
		if out := c.out.Load(); c.in.Load() != out {
			return true
		}
	}
	return false
}

// reads returns how many reads were answered from a published image.
func (p *pubState) reads() uint64 {
	var n uint64
	for i := range p.inflight {
		n += p.inflight[i].out.Load()
	}
	return n
}

// retire clears the published image before the owner applies a mutation.
func (o *owner[C, Q, R]) retire() {
	if p := &o.e.pub; p.live {
		p.cur.Store(nil)
		p.live = false
	}
}

// wantPublish notes a read that came to the owner while no image was
// published: worth publishing one.
func (o *owner[C, Q, R]) wantPublish() {
	if p := &o.e.pub; !p.live {
		p.wanted = true
	}
}

// unhold releases, at the end of a turn and before the owner folds, the
// maps of an image retired once no reader is inside it.
func (o *owner[C, Q, R]) unhold() bool {
	p := &o.e.pub
	if p.release == nil || p.live || p.readers() {
		return false
	}
	p.release()
	p.release = nil
	return true
}

// publish publishes, at the end of a turn, an image of the state if reads
// came to the owner since the last one and none is published, once the
// owner has finished folding what it had to fold, unless that would stack
// more than maxPubLayers layers (whoever else holds the maps: a snapshot
// being saved too). And if the publication is all that keeps the owner
// from folding work that has grown (more than foldStep entries, or layers
// at the cap), it retires the image, and once no reader is inside it,
// releases it and wakes itself to fold.
func (o *owner[C, Q, R]) publish() {
	p := &o.e.pub
	if p.m == nil || p.release == nil && !p.wanted {
		return // nothing published, nothing asked for: a store only written pays nothing here
	}
	layers, pending, debt, alone := p.m.pubDebt(p.gen)
	stacked := pending && layers >= maxPubLayers // one more publication would stack one layer too many
	if p.release != nil && alone && (debt > foldStep || stacked && !p.live) {
		o.retire()
		if o.unhold() {
			o.nudge()
		}
		return
	}
	if p.live || !p.wanted || stacked || o.e.snap.folding || o.e.closing.Load() {
		return // published already, not worth it, too deep, or a fold under way
	}
	im, release, gen := p.m.freezeImage()
	if p.release != nil {
		p.release() // the new image holds all the old one did
	}
	p.release, p.gen = release, gen
	p.cur.Store(im)
	p.live, p.wanted = true, false
}

// unpublish clears the published image when the owner stops.
func (o *owner[C, Q, R]) unpublish() {
	o.retire()
}

// freezeImage implements publisher.
func (kv *KV) freezeImage() (*image, func(), uint64) {
	img, release := kv.freeze(false)
	return img, release, kv.gen
}

// pubDebt implements publisher.
func (kv *KV) pubDebt(gen uint64) (layers int, pending bool, debt int, alone bool) {
	layers, pending, debt = len(kv.layers), len(kv.ovl) > 0, len(kv.ovl)
	for _, l := range kv.layers {
		debt += len(l)
	}
	return layers, pending, debt, kv.gen == gen && kv.shared == 1
}
