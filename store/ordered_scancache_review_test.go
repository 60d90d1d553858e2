package store

import (
	"fmt"
	"runtime"
	"testing"
	"weak"
)

// TestScanCacheLetsOldNodesGo checks that a scan cache does not keep the
// index's nodes alive: once the images of a tree are released and the
// owner has copied a node of it (a key created under a View held all
// along, so that the cache lives on), the old node must be garbage. A
// cache that named its nodes by pointer kept every node a scan had
// filled, up to its slots' worth: with one View held while keys were
// created and other Views scanned, 160 B per key of old nodes, against
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
