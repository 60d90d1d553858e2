package store

import (
	"sync/atomic"
	"unsafe"
)

// The scan cache: values of the base map kept beside the ordered index's
// nodes, so that a range scan over an image reads a key's value next to
// the key instead of looking it up in the map.
//
// Why: a scan of a hundred keys cost about 150 ns a key, most of it the
// map lookup (hash the key, the control word of its group, the slot: cache
// misses in a map of a million entries), against about 44 ns a key for
// buntdb, whose values sit in its tree. Values in the index itself would
// cost every overwrite a descent of the tree (issue 14 rules that out), so
// the values here are a cache, filled by the scans themselves and never
// touched by a write.
//
// Why it is never stale: it holds values of the base map m only, and m
// does not change while an image shares it (KV.shared); the owner changes
// it in place only when no image does, and then drops the KV's cache
// (KV.baseChanged), so the next image gets a new, empty one. An image
// therefore reads, through its cache, m as it was when it froze. Writes
// made while images are open go to the overlay and then the layers, which
// a scan looks in first, as every read does (lookupEntry). A value with a
// deadline is not cached: it takes the lookup, and the expiry check, as
// before.
//
// A node finds its values through a tag (the cache's id and a slot
// number) that the first scan to fill it sets, and the slot holds the
// number of the node it belongs to (onode.id, never reused), so a tag
// left by another cache never yields another node's values. The slots
// belong to the cache, not to the nodes, so the values go when the cache
// does: a node shared by later images keeps no value the map has let go.
// A slot names its node by number, not by pointer, so that the cache
// keeps no node alive: a cache lives as long as the map it holds values
// of, which a View held while keys are created keeps for as long as other
// Views come and go, each with a tree whose new nodes the cache fills;
// with pointers, the nodes those Views' trees had copied stayed in the
// cache (about 1.7 KB each: TestScanCacheLetsOldNodesGo), up to its
// slots' worth. What it holds at most is its slots, max of them (about a
// key in 15), each a node's pointers and lengths, at most 700 B: under
// 50 B per key, against 12.7 B per key for the nodes of one tree
// (BenchmarkScanCacheHeap); 26.6 B per key measured with 200k keys, one
// View held, and 60 Views, each after 2000 new keys, scanned in full
// (BenchmarkScanCacheHeldView). Readers fill and publish with atomics only;
// the owner never waits for them.

// scanChunk is how many slots a cache allocates at a time.
const scanChunk = 256

// scanFillMin is the fewest looked-up values of one leaf that a scan
// publishes: a scan that reads a key or two (the first key at or after a
// start) does not pay for an allocation. An inner node's keys come one at
// a time, between its children's, so a scan publishes even one.
const scanFillMin = 8

// noVal marks a node's key whose value is not cached. A length takes two
// bytes, not four or eight, to keep the cache small (BenchmarkScanCacheHeap):
// a value of noVal bytes or more is not cached.
const noVal = ^uint16(0)

// scanCacheIDs numbers the caches, for the nodes' tags.
var scanCacheIDs atomic.Uint32

// scanCache holds, for the nodes that scans of its images filled, the
// values the base map held when it was made. It allocates nothing until a
// second scan of its images: a store whose map changes between any two
// scans (a write, then a View, then a scan, and again) would pay for
// filling a cache that no scan reads (BenchmarkImageRangeChurn).
type scanCache struct {
	id     uint32
	warm   atomic.Bool  // a scan of its images has run
	next   atomic.Int64 // slots handed out
	max    int64        // slots it may hand out
	chunks atomic.Pointer[[]atomic.Pointer[scanSlots]]
}

// scanSlots are a chunk of a cache's slots.
type scanSlots [scanChunk]atomic.Pointer[nodeVals]

// nodeVals are a node's cached values: the bytes of the value of the
// node's key i are unsafe.Slice(p[i], n[i]), unless n[i] is noVal.
type nodeVals struct {
	node uint64 // the node's id
	p    []*byte
	n    []uint16
}

// newScanCache returns an empty cache with room for the nodes of a tree
// of keys keys (a node holds at least minItems, the root aside).
func newScanCache(keys int) *scanCache {
	return &scanCache{id: scanCacheIDs.Add(1), max: int64(keys/(minItems/2) + scanChunk)}
}

// filling reports whether a scan starting now should fill the cache: not
// if it is the first.
func (sc *scanCache) filling() bool {
	if sc == nil {
		return false
	}
	if sc.warm.Load() {
		return true
	}
	sc.warm.Store(true)
	return false
}

// slot returns slot i, allocating its chunk if need be, or nil if the
// cache is full.
func (sc *scanCache) slot(i int64, alloc bool) *atomic.Pointer[nodeVals] {
	chunks := sc.chunks.Load()
	if chunks == nil {
		if !alloc || i >= sc.max {
			return nil
		}
		c := make([]atomic.Pointer[scanSlots], (sc.max+scanChunk-1)/scanChunk)
		sc.chunks.CompareAndSwap(nil, &c)
		chunks = sc.chunks.Load()
	}
	c := i / scanChunk
	if c >= int64(len(*chunks)) {
		return nil
	}
	ch := (*chunks)[c].Load()
	if ch == nil {
		if !alloc {
			return nil
		}
		(*chunks)[c].CompareAndSwap(nil, new(scanSlots))
		ch = (*chunks)[c].Load()
	}
	return &ch[i%scanChunk]
}

// get returns n's cached values, or nil.
func (sc *scanCache) get(n *onode) *nodeVals {
	t := n.vtag.Load()
	if uint32(t>>32) != sc.id || uint32(t) == 0 {
		return nil
	}
	s := sc.slot(int64(uint32(t))-1, false)
	if s == nil {
		return nil
	}
	if v := s.Load(); v != nil && v.node == n.id {
		return v
	}
	return nil
}

// put publishes v as n's cached values, in the node's slot if it has one
// in this cache, else in a new one if the cache has room.
func (sc *scanCache) put(n *onode, v *nodeVals) {
	if t := n.vtag.Load(); uint32(t>>32) == sc.id && uint32(t) != 0 {
		if s := sc.slot(int64(uint32(t))-1, false); s != nil {
			if old := s.Load(); old == nil || old.node == n.id {
				s.Store(v)
				return
			}
		}
	}
	i := sc.next.Add(1) - 1
	s := sc.slot(i, true)
	if s == nil {
		return // full
	}
	s.Store(v)
	n.vtag.Store(uint64(sc.id)<<32 | uint64(i+1))
}

// scanFill gathers the values a scan looked up in the base map for one
// node, to publish them in the cache.
type scanFill struct {
	sc   *scanCache // the image's cache, or nil
	on   bool       // publish what the scan looks up (sc.filling)
	node *onode
	have *nodeVals // what the cache held for node, or nil
	k    int       // values gathered: key idx[j]'s is p[j], n[j] bytes
	idx  [maxItems]uint8
	n    [maxItems]uint16
	p    [maxItems]*byte
}

// enter makes n the node the scan reads, publishing what it gathered for
// the node before, and returns n's cached values, or nil.
func (f *scanFill) enter(n *onode) *nodeVals {
	f.flush()
	f.node, f.have = n, nil
	if f.sc != nil {
		f.have = f.sc.get(n)
	}
	return f.have
}

// note records that key i of the current node holds e in the base map.
func (f *scanFill) note(i int, e entry) {
	if f.on && e.at == 0 && len(e.s) < int(noVal) {
		f.idx[f.k], f.p[f.k], f.n[f.k] = uint8(i), unsafe.StringData(e.s), uint16(len(e.s))
		f.k++
	}
}

// flush publishes the values gathered for the current node, over those
// the cache held for it, if there are enough of them.
func (f *scanFill) flush() {
	if f.k >= scanFillMin || f.k > 0 && f.node.kids != nil {
		k := len(f.node.keys)
		v := &nodeVals{node: f.node.id, p: make([]*byte, k), n: make([]uint16, k)}
		if f.have != nil {
			copy(v.p, f.have.p)
			copy(v.n, f.have.n)
		} else {
			for i := range v.n {
				v.n[i] = noVal
			}
		}
		for j, i := range f.idx[:f.k] {
			v.p[i], v.n[i] = f.p[j], f.n[j]
		}
		f.sc.put(f.node, v)
	}
	f.k = 0
}

// value returns the cached value of key i, if cached.
func (v *nodeVals) value(i int) ([]byte, bool) {
	if v == nil || v.n[i] == noVal {
		return nil, false
	}
	return unsafe.Slice(v.p[i], v.n[i]), true
}
