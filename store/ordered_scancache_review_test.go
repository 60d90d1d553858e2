package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"weak"
)

// TestScanCacheLetsOldNodesGo checks that a scan cache does not keep the
// index's nodes alive: once the images of a tree are released and the
// owner has copied a node of it (a key created under a View held all
// along, so that the cache lives on), the old node must be garbage. A
// cache that named its nodes by pointer kept every node a scan had
// filled, up to its slots' worth: with one View held while keys were
// created and other Views scanned, about 110 B per key, against
// the 12.7 B per key a cache takes for one tree (BenchmarkScanCacheHeap).
func TestScanCacheLetsOldNodesGo(t *testing.T) {
	kv := NewKV(0)
	for i := range 4000 {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%05d", 2*i), Value: []byte("v")})
	}
	_, releaseHeld := kv.freeze(true) // keeps the map, and so the cache
	defer releaseHeld()
	kv.Apply(Command{Op: OpSet, Key: "k04003", Value: []byte("new")}) // a leaf the held View does not share
	im, release := kv.freeze(true)
	for range 2 { // the second scan fills the cache
		for range im.Range("", "", false) {
		}
	}
	sc := im.sc
	var leaf *onode
	for n := range walkAt(im.ord.root, "k04003", "", false) {
		if n.kids != nil || sc.get(n) == nil {
			t.Fatal("the leaf of k04003 is not cached")
		}
		leaf = n
		break
	}
	old := weak.Make(leaf)
	leaf, im = nil, nil
	release()
	kv.Apply(Command{Op: OpSet, Key: "k04001", Value: []byte("new")}) // copies the leaf again
	im2, release2 := kv.freeze(true)
	release2()
	if im2.sc != sc {
		t.Fatal("the cache did not live on")
	}
	runtime.GC()
	if old.Value() != nil {
		t.Fatal("an old node of the index is still alive: the scan cache keeps it")
	}
}

// TestScanCacheModelMoreOps is TestScanCacheModel with the other paths
// that change the base map: range deletes, deadlines set and removed,
// CAS, SetAbsent, batches, the owner's removal of expired keys, Fit, an
// index deferred and rebuilt; and with cache ids reused (scanCacheIDs
// wrapping round), so that nodes carry tags of an older cache with the
// same id. Every scan of every open image must show the store as it was.
func TestScanCacheModelMoreOps(t *testing.T) {
	const keys = 2000
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 41))
			var now int64 = 1000
			kv := NewKV(0)
			kv.SetClock(func() int64 { return now }, false)
			model := cacheModel{}
			step := int64(0)
			val := func() string { step++; return fmt.Sprintf("v%d", step) }
			live := func(k string) (entry, bool) {
				e, ok := model[k]
				return e, ok && !e.expiredAt(now)
			}
			for i := range keys {
				if i%3 != 0 {
					k, v := fmt.Sprintf("k%05d", i), val()
					kv.Apply(Command{Op: OpSet, Key: k, Value: []byte(v)})
					model[k] = entry{s: v}
				}
			}
			type open struct {
				im      *image
				release func()
				want    cacheModel
			}
			var ims []open
			for range 15000 {
				k := fmt.Sprintf("k%05d", rng.IntN(keys))
				switch r := rng.IntN(1000); {
				case r < 300:
					v := val()
					kv.Apply(Command{Op: OpSet, Key: k, Value: []byte(v)})
					model[k] = entry{s: v}
				case r < 330:
					start := fmt.Sprintf("k%05d", rng.IntN(keys))
					end := fmt.Sprintf("k%05d", rng.IntN(keys))
					if end < start {
						start, end = end, start
					}
					end = start[:4] + end[4:] // a few keys: k0123x to k0123y
					if end < start {
						end = start
					}
					kv.Apply(Command{Op: OpDeleteRange, Key: start, Value: []byte(end)})
					for mk := range model {
						if mk >= start && mk < end {
							delete(model, mk)
						}
					}
				case r < 380:
					at := int64(0)
					if rng.IntN(2) == 0 {
						at = now + int64(rng.IntN(40))
					}
					if e, ok := model[k]; ok {
						kv.Apply(Command{Op: OpExpireAt, Key: k, At: at})
						model[k] = entry{s: e.s, at: at}
					}
				case r < 420:
					if e, ok := live(k); ok {
						v := val()
						kv.Apply(Command{Op: OpCAS, Key: k, Old: []byte(e.s), Value: []byte(v)})
						model[k] = entry{s: v}
					}
				case r < 450:
					if _, ok := live(k); !ok {
						v := val()
						kv.Apply(Command{Op: OpSetAbsent, Key: k, Value: []byte(v)})
						model[k] = entry{s: v}
					}
				case r < 480:
					k2, v := fmt.Sprintf("k%05d", rng.IntN(keys)), val()
					kv.Apply(Command{Op: OpBatch, Batch: []Mutation{{Op: OpDelete, Key: k}, {Op: OpSet, Key: k2, Value: []byte(v)}}})
					delete(model, k)
					model[k2] = entry{s: v}
				case r < 500:
					now += int64(rng.IntN(20))
					for {
						if _, _, more := kv.expireDue(); !more {
							break
						}
					}
					for mk, e := range model {
						if e.at != 0 && e.at <= now {
							delete(model, mk)
						}
					}
				case r < 580:
					im, release := kv.freeze(true)
					ims = append(ims, open{im, release, maps.Clone(model)})
				case r < 640 && len(ims) > 0:
					i := rng.IntN(len(ims))
					ims[i].release()
					ims = slices.Delete(ims, i, i+1)
				case r < 660:
					for _, o := range ims {
						o.release()
					}
					ims = nil
					for kv.fold() {
					}
					if rng.IntN(2) == 0 {
						kv.Fit(4*len(model) + 4)
					} else {
						kv.deferIndex()
					}
				case r < 670:
					scanCacheIDs.Store(scanCacheIDs.Load() - uint32(rng.IntN(4))) // ids come round again
				default:
					if len(ims) > 0 {
						o := ims[rng.IntN(len(ims))]
						if err := checkScan(rng, o.im, o.want, now, keys); err != nil {
							t.Fatalf("step %d: %v", step, err)
						}
					}
				}
			}
		})
	}
}

// BenchmarkScanCacheHeldView reports what a scan cache holds (cache-B/key:
// its values' pointers and lengths) in its worst case: a View held, so
// that the map and its cache stay, while 60 rounds of 2000 new keys each
// are followed by a View scanned in full twice, which fills the cache with
// the nodes its tree copied. 200k keys.
func BenchmarkScanCacheHeldView(b *testing.B) {
	const n = 200_000
	for b.Loop() {
		kv := benchKV(n)
		_, release0 := kv.freeze(true)
		rng := rand.New(rand.NewPCG(1, 2))
		for round := range 60 {
			for range 2000 {
				kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("key-%012d-%d", rng.IntN(n), round), Value: make([]byte, 100)})
			}
			im, release := kv.freeze(true)
			for range 2 {
				for range im.Range("", "", false) {
				}
			}
			release()
		}
		bytes := 0
		chunks := *kv.sc.chunks.Load()
		for c := range chunks {
			if ch := chunks[c].Load(); ch != nil {
				for i := range ch {
					if v := ch[i].Load(); v != nil {
						bytes += 64 + 8*cap(v.p) + 2*cap(v.n) // the size classes of 32 to 63 keys' slices, near enough
					}
				}
			}
		}
		b.ReportMetric(float64(bytes)/n, "cache-B/key")
		release0()
	}
}

// TestScanCacheEmptyValues checks that an empty value reads the same
// from the cache as from the map: empty, and nil only if the map's is.
func TestScanCacheEmptyValues(t *testing.T) {
	kv := NewKV(0)
	for i := range 40 {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%02d", i), Value: []byte{}})
	}
	im, release := kv.freeze(true)
	defer release()
	var nils [3]int
	for round := range 3 { // the second fills the cache, the third reads it
		n := 0
		for _, v := range im.Range("", "", false) {
			if len(v) != 0 {
				t.Fatalf("round %d: a value of %d bytes, want 0", round, len(v))
			}
			if v == nil {
				nils[round]++
			}
			n++
		}
		if n != 40 {
			t.Fatalf("round %d: %d keys, want 40", round, n)
		}
	}
	cached := 0
	for n, i := range walkAt(im.ord.root, "", "", false) {
		if _, ok := im.sc.get(n).value(i); ok {
			cached++
		}
	}
	if cached != 40 || nils[2] != nils[0] {
		t.Fatalf("%d empty values cached, want 40; nil values %v, want the same in every round", cached, nils)
	}
}
