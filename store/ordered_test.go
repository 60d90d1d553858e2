package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// checkTree checks the B-tree's invariants: keys in increasing order
// across the whole tree, node sizes within bounds, every leaf at the same
// depth, and n the number of keys. It returns the keys in order.
func checkTree(t *testing.T, root *onode, n int) []string {
	t.Helper()
	var keys []string
	leafDepth := -1
	var visit func(nd *onode, depth int, isRoot bool)
	visit = func(nd *onode, depth int, isRoot bool) {
		if len(nd.keys) > maxItems || (!isRoot && len(nd.keys) < minItems) {
			t.Fatalf("node of %d keys at depth %d", len(nd.keys), depth)
		}
		for i, k := range nd.keys {
			if !strings.HasPrefix(k, nd.keys[0][:nd.skip]) || nd.pfx[i] != prefix8(k, nd.skip) {
				t.Fatalf("key %q at depth %d: skip %d, prefix %x, want %x", k, depth, nd.skip, nd.pfx[i], prefix8(k, nd.skip))
			}
		}
		if len(nd.keys) > 0 && nd.lead != leadOf(nd.keys[0], nd.skip) {
			t.Fatalf("node at depth %d: lead %x, want %x", depth, nd.lead, leadOf(nd.keys[0], nd.skip))
		}
		for i := len(nd.keys); i < maxItems; i++ {
			if nd.pfx[i] != 0 {
				t.Fatalf("node at depth %d: prefix %d past its %d keys left set", depth, i, len(nd.keys))
			}
		}
		if nd.kids == nil {
			if leafDepth >= 0 && depth != leafDepth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
			leafDepth = depth
			keys = append(keys, nd.keys...)
			return
		}
		if len(nd.kids) != len(nd.keys)+1 {
			t.Fatalf("%d kids for %d keys", len(nd.kids), len(nd.keys))
		}
		for i, kid := range nd.kids {
			visit(kid, depth+1, false)
			if i < len(nd.keys) {
				keys = append(keys, nd.keys[i])
			}
		}
	}
	if root != nil {
		if len(root.keys) == 0 {
			t.Fatalf("empty root")
		}
		visit(root, 0, true)
	}
	if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Fatalf("keys out of order or repeated")
	}
	if len(keys) != n {
		t.Fatalf("tree of %d keys counts %d", len(keys), n)
	}
	return keys
}

// modelRange is the sorted model of a range scan.
func modelRange(keys []string, start, end string, reverse bool) []string {
	var out []string
	for _, k := range keys {
		if k >= start && (end == "" || k < end) {
			out = append(out, k)
		}
	}
	if reverse {
		slices.Reverse(out)
	}
	return out
}

// TestOrderedModel inserts and removes random keys and checks the tree
// against a sorted model after each step, and that frozen views taken on
// the way keep the keys they had, however the tree changes after.
func TestOrderedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tr ordered
	model := map[string]bool{}
	type frozen struct {
		v    ordView
		keys []string
	}
	var views []frozen
	for step := range 30000 {
		k := fmt.Sprintf("k%05d", rng.IntN(3000))
		switch {
		case rng.IntN(100) < 55 && !model[k]:
			tr.insert(k)
			model[k] = true
		case model[k]:
			tr.remove(k)
			delete(model, k)
		default:
			tr.remove(k) // absent: a no-op
		}
		if step%997 == 0 {
			keys := checkTree(t, tr.root, tr.n)
			views = append(views, frozen{tr.freeze(), keys})
		}
	}
	want := slices.Sorted(maps.Keys(model))
	if got := checkTree(t, tr.root, tr.n); !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys, model %d", len(got), len(want))
	}
	for i, f := range views {
		if got := checkTree(t, f.v.root, f.v.n); !slices.Equal(got, f.keys) {
			t.Fatalf("view %d changed after it was frozen", i)
		}
	}
	for range 2000 {
		start := fmt.Sprintf("k%05d", rng.IntN(3100))
		end := ""
		if rng.IntN(3) > 0 {
			end = fmt.Sprintf("k%05d", rng.IntN(3100))
		}
		for _, rev := range []bool{false, true} {
			got := slices.Collect(walk(tr.root, start, end, rev))
			if w := modelRange(want, start, end, rev); !slices.Equal(got, w) {
				t.Fatalf("walk(%q, %q, %v) = %d keys, want %d", start, end, rev, len(got), len(w))
			}
		}
	}
}

// TestOrderedBuild checks that a tree built from sorted keys keeps the
// invariants at every size, and takes inserts and removals after.
func TestOrderedBuild(t *testing.T) {
	for _, n := range []int{0, 1, 2, 62, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 70000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%07d", 2*i)
		}
		tr := buildOrdered(keys)
		if got := checkTree(t, tr.root, tr.n); !slices.Equal(got, keys) && n > 0 {
			t.Fatalf("n=%d: built tree holds other keys", n)
		}
		v := tr.freeze()
		for i := range min(n, 500) {
			tr.insert(fmt.Sprintf("k%07d", 2*i+1))
			tr.remove(keys[i])
		}
		checkTree(t, tr.root, tr.n)
		checkTree(t, v.root, v.n)
	}
}

// TestOrderedWalkStops checks that a walk stops where yield says.
func TestOrderedWalkStops(t *testing.T) {
	var tr ordered
	for i := range 1000 {
		tr.insert(fmt.Sprintf("%04d", i))
	}
	for _, rev := range []bool{false, true} {
		n := 0
		for range walk(tr.root, "", "", rev) {
			n++
			if n == 10 {
				break
			}
		}
		if n != 10 {
			t.Fatalf("reverse=%v: %d keys", rev, n)
		}
	}
	if got := slices.Collect(walk(tr.root, "0500", "0400", false)); got != nil {
		t.Fatalf("start after end yields %v", got)
	}
}

// TestSortKeys checks the two-goroutine sort against slices.Sort.
func TestSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 1000, 1<<15 + 1, 100000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprint(rng.IntN(n + 1))
		}
		want := slices.Sorted(slices.Values(keys))
		if got := sortKeys(keys); !slices.Equal(got, want) {
			t.Fatalf("n=%d: sortKeys disagrees with slices.Sort", n)
		}
	}
}

// A publication (freeze without the index) leaves the index's nodes the
// tree's own: a key created after it changes the root in place, where
// after a Freeze that images the index it copies the root first.
func TestPublicationLeavesIndexUnshared(t *testing.T) {
	kv := NewKV(0)
	for i := range 200 {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%04d", i), Value: []byte("v")})
	}
	root := kv.index().root
	_, release := kv.freeze(false)
	kv.Apply(Command{Op: OpSet, Key: "k0100a", Value: []byte("v")})
	release()
	if kv.index().root != root {
		t.Fatal("a key created after a publication copied the index's root")
	}
	_, release = kv.freeze(true)
	kv.Apply(Command{Op: OpSet, Key: "k0100b", Value: []byte("v")})
	release()
	if kv.index().root == root {
		t.Fatal("a key created after a Freeze changed the index's root in place")
	}
	checkTree(t, kv.index().root, kv.index().n)
}

// A snapshot's image leaves a deferred index deferred: a snapshot due
// right after Open does not build it in the owner's turn.
func TestSnapshotImageLeavesIndexDeferred(t *testing.T) {
	kv := NewKV(0)
	for i := range 100 {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%04d", i), Value: []byte("v")})
	}
	kv.deferIndex()
	img, release, err := freezeForSave(kv)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if !kv.ordOff {
		t.Fatal("freezing for a snapshot built the deferred index")
	}
	if img.Len() != 100 {
		t.Fatalf("the snapshot's image holds %d records, want 100", img.Len())
	}
	_, release2, _ := kv.Freeze()
	defer release2()
	if kv.ordOff {
		t.Fatal("a Freeze for readers left the index deferred")
	}
}
