package store

import (
	"errors"
	"iter"
	"slices"
)

// Image is a point-in-time view of a machine's state as a sequence of
// records. An image may be read from any goroutines, concurrently, while
// the owner goes on applying commands; reading it never blocks the owner.
type Image interface {
	// Len returns the number of records All yields.
	Len() int
	// All yields every record once, in no particular order.
	All(yield func(key string, value []byte) bool)
}

// Snapshotter is implemented by machines whose state can be imaged, saved
// and restored. The engine calls Freeze and the release it returns from the
// owner goroutine only, and Restore only before Start.
type Snapshotter interface {
	// Freeze returns an image of the state as it is now. The owner calls
	// release once nobody reads the image any more.
	Freeze() (img Image, release func(), err error)
	// Restore replaces the state with the n records that records yields,
	// as saved from an image.
	Restore(n int, records func(yield func(key, value []byte) bool)) error
}

// folder is implemented by machines that defer work after an image is
// released (KV). The owner calls fold between turns until it returns false.
type folder interface {
	// canFold reports, cheaply, whether fold has work it can do now.
	canFold() bool
	// fold does a bounded step of the deferred work and reports whether
	// any remains.
	fold() (more bool)
}

// foldStep is the most overlay entries one fold moves into the base map.
// Moving one costs a write to the base map and a delete from the overlay,
// both cache misses in a large map: about 0.5 µs each measured on a 1M-key
// store (BenchmarkSnapshotPause), so a step takes about 0.5 ms, with room
// to spare under the 5 ms pause target on a busy machine.
const foldStep = 1024

var (
	_ Snapshotter = (*KV)(nil)
	_ folder      = (*KV)(nil)
)

// image is a point-in-time view of a KV: its base map and its frozen
// layers as they were when it was taken. None of them changes while it is
// open.
type image struct {
	m      map[string]entry
	layers []map[string]slot // oldest first
	n      int
	exp    *imageExpiry // the deadlines, or nil if no key has one
	ord    ordView      // the keys in order, if indexed
	// indexed says ord holds the keys: every image but a snapshot's and
	// most publications (publish.go).
	indexed bool
	sc      *scanCache // values of m for range scans, if indexed (ordered_scancache.go)
}

// Len implements Image.
func (im *image) Len() int { return im.n }

// Get returns the value of key in the image, unless it has expired. It
// reads the clock only for a key that has a deadline.
func (im *image) Get(key string) ([]byte, bool) {
	e, ok := lookupEntry(im.m, im.layers, key)
	if !ok || e.at != 0 && e.expiredAt(im.exp.clock()) {
		return nil, false
	}
	return e.v(), true
}

// getAt is Get with the clock read already: now, in Unix ns, so that
// many keys are read as of one instant (LookupMany).
func (im *image) getAt(key string, now int64) ([]byte, bool) {
	e, ok := lookupEntry(im.m, im.layers, key)
	if !ok || e.expiredAt(now) {
		return nil, false
	}
	return e.v(), true
}

// All implements Image.
func (im *image) All(yield func(string, []byte) bool) {
	for k, e := range im.entries {
		if !yield(k, e.v()) {
			return
		}
	}
}

// entries yields every key of the image and its entry, expired or not. A
// key is yielded where its newest entry is: from the base map, with the
// entry of the newest layer that holds it, and then, for keys not in the
// base map, from the newest layer that holds them, unless that entry is a
// deletion.
func (im *image) entries(yield func(string, entry) bool) {
	for k, e := range im.m {
		if len(im.layers) > 0 {
			var ok bool
			if e, ok = lookupEntry(im.m, im.layers, k); !ok {
				continue
			}
		}
		if !yield(k, e) {
			return
		}
	}
	for i := len(im.layers) - 1; i >= 0; i-- {
		for k, s := range im.layers[i] {
			if s.gone || im.inBaseOrAbove(k, i) {
				continue
			}
			if !yield(k, s.entry) {
				return
			}
		}
	}
}

// inBaseOrAbove reports whether key is in the base map or in a layer newer
// than layer i: All yields it from there.
func (im *image) inBaseOrAbove(key string, i int) bool {
	if _, ok := im.m[key]; ok {
		return true
	}
	for j := i + 1; j < len(im.layers); j++ {
		if _, ok := im.layers[j][key]; ok {
			return true
		}
	}
	return false
}

// KVImage is what KV.Freeze returns: an Image that also answers lookups
// and knows the keys' deadlines. Len and All count and yield every key
// the image holds, expired or not, as a snapshot saves them (with their
// deadlines, so that the restored store hides them too); Get, LiveLen and
// Live hide the keys whose deadline has passed when they are called.
type KVImage interface {
	Image
	// Get returns the value of key in the image, unless it has expired.
	Get(key string) ([]byte, bool)
	// Deadline returns key's deadline in Unix ns, or 0 for none.
	Deadline(key string) int64
	// LiveLen returns the number of keys not expired now.
	LiveLen() int
	// Live yields every key not expired when it starts, and its value.
	Live(yield func(string, []byte) bool)
	// HasDeadlines reports whether any key in the image has a deadline.
	HasDeadlines() bool
	// Range yields the keys in [start, end) (an empty end: no end) and
	// their values, in increasing key order or, if reverse, decreasing,
	// but for keys expired when it starts. It finds start in O(log n).
	Range(start, end string, reverse bool) iter.Seq2[string, []byte]
}

// Freeze implements Snapshotter. It copies nothing: the image shares the
// base map, and any changes waiting in the overlay become a frozen layer
// it shares too. It costs an allocation or two.
func (kv *KV) Freeze() (Image, func(), error) {
	im, release := kv.freeze(true)
	return im, release, nil
}

// freezeForSave implements saveFreezer: a snapshot writes the records in
// no particular order, so its image leaves the ordered index out.
func (kv *KV) freezeForSave() (Image, func(), error) {
	im, release := kv.freeze(false)
	return im, release, nil
}

// freeze is Freeze, with the ordered index in the image only if ordered
// says so: an image that only answers lookups (a publication, publish.go)
// leaves the index alone, so that a key created after it does not copy
// the index's nodes on the way to its leaf (up to four of 63 keys each).
func (kv *KV) freeze(ordered bool) (*image, func()) {
	switch {
	case kv.ovl == nil:
		kv.ovl, kv.n = make(map[string]slot), len(kv.m)
	case len(kv.ovl) > 0:
		kv.layers = append(kv.layers, kv.ovl)
		kv.ovl = make(map[string]slot)
	}
	// Clip: a later Freeze appends to kv.layers, which must not reach
	// what this image sees.
	im := &image{m: kv.m, layers: slices.Clip(kv.layers), n: kv.size(), exp: kv.freezeExp()}
	if ordered {
		im.ord, im.indexed = kv.index().freeze(), true
		if kv.sc == nil {
			kv.sc = newScanCache(kv.size())
		}
		im.sc = kv.sc
	}
	kv.shared++
	gen := kv.gen
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		if kv.gen == gen {
			kv.shared--
		}
	}
	return im, release
}

// canFold implements folder: there are changes to fold and no image
// shares the base map.
func (kv *KV) canFold() bool { return kv.shared == 0 && kv.ovl != nil }

// fold implements folder: once no image shares the base map, it moves up
// to foldStep entries of the layers, oldest first, and then of the overlay
// into the base map, and reports whether any remain.
func (kv *KV) fold() bool {
	if !kv.canFold() {
		return false
	}
	i := 0
	for len(kv.layers) > 0 {
		l := kv.layers[0]
		for k, s := range l {
			if i == foldStep {
				return true
			}
			kv.foldSlot(k, s)
			delete(l, k)
			i++
		}
		kv.layers[0] = nil // no image holds it: see Freeze
		kv.layers = kv.layers[1:]
	}
	kv.layers = nil
	for k, s := range kv.ovl {
		if i == foldStep {
			return true
		}
		kv.foldSlot(k, s)
		delete(kv.ovl, k)
		i++
	}
	kv.ovl, kv.n = nil, 0
	return false
}

// foldSlot writes an overlay entry into the base map.
func (kv *KV) foldSlot(k string, s slot) {
	kv.baseChanged()
	if s.gone {
		delete(kv.m, k)
	} else {
		kv.m[k] = s.entry
	}
}

// errRestore is returned by Restore for records that do not fit the state.
var errRestore = errors.New("store: snapshot does not fit the key-value state")

// Restore implements Snapshotter. It replaces the map with one sized for
// n keys. Keys and values are copies, each value an allocation of its own:
// a value aliasing the records' bytes would keep all of them alive for as
// long as any one value is not overwritten.
//
// Copying and inserting take about as long as each other, so a second
// goroutine copies the records in chunks while this one inserts them.
// records is read from that goroutine, which has ended when Restore
// returns.
func (kv *KV) Restore(n int, records func(yield func(key, value []byte) bool)) error {
	return kv.RestoreAt(n, func(yield func(key, value []byte, at int64) bool) {
		for k, v := range records {
			if !yield(k, v, 0) {
				return
			}
		}
	})
}

// RestoreAt is Restore for records that carry deadlines (Unix ns; 0 for
// none), as a snapshot of a KV with deadlines holds them.
func (kv *KV) RestoreAt(n int, records func(yield func(key, value []byte, at int64) bool)) error {
	if n < 0 {
		return errRestore
	}
	room := n
	if kv.restoreRoom > 0 {
		room = min(n, kv.restoreRoom) // LimitRestore
	}
	m := make(map[string]entry, room)
	var timed []deadline
	count := 0
	var size int64
	for chunk := range copyChunks(records) {
		for i, p := range chunk {
			if i%peekRun == 0 { // see prefetch.go
				peekPairs(m, chunk[i:min(i+peekRun, len(chunk))])
			}
			m[p.key] = newEntry(p.value, p.at)
			size += int64(len(p.key) + len(p.value))
			if p.at != 0 {
				timed = append(timed, deadline{key: p.key, low: p.at})
			}
		}
		count += len(chunk)
	}
	if count != n || len(m) != n {
		return errRestore // not n records, or a duplicate key: no image yields one
	}
	// A new generation: the release of an image of the old state must not
	// count against the new map. The old tree goes too: a merge running on
	// it ends first, as for Clear (ordered_merge.go).
	kv.ord.wait()
	*kv = KV{m: m, gen: kv.gen + 1, bytes: size, clock: kv.clock, handClock: kv.handClock, exp: restoreExp(timed), ordOff: true}
	return nil
}

// restoreChunk is how many records copyChunks hands over at a time.
const restoreChunk = 4096

// pair is a copied record.
type pair struct {
	key   string
	value []byte
	at    int64
}

// copyChunks yields copies of the records, a chunk at a time, copied by a
// goroutine of its own a few chunks ahead of the caller. The goroutine has
// ended by the time the loop over copyChunks ends, however it ends.
func copyChunks(records func(yield func(key, value []byte, at int64) bool)) iter.Seq[[]pair] {
	return func(yield func([]pair) bool) {
		chunks := make(chan []pair, 4)
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			defer close(chunks)
			chunk := make([]pair, 0, restoreChunk)
			stopped := false
			records(func(k, v []byte, at int64) bool {
				var c []byte
				if v != nil {
					c = append(make([]byte, 0, len(v)), v...)
				}
				chunk = append(chunk, pair{string(k), c, at})
				if len(chunk) < restoreChunk {
					return true
				}
				select {
				case chunks <- chunk:
				case <-stop:
					stopped = true
					return false
				}
				chunk = make([]pair, 0, restoreChunk)
				return true
			})
			if stopped {
				return
			}
			if len(chunk) > 0 {
				select {
				case chunks <- chunk:
				case <-stop:
				}
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
		for chunk := range chunks {
			if !yield(chunk) {
				return
			}
		}
	}
}
