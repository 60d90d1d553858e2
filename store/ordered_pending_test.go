package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOrderedPendingModel notes random creations and removals, as a KV
// does (a key created only while absent, removed only while present, and
// often both before a merge), and checks after merges at random moments,
// and at the merges pendMax forces, that the tree holds the model's keys.
func TestOrderedPendingModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tr ordered
	model := map[string]bool{}
	forced := 0
	for step := range 60000 {
		k := fmt.Sprintf("k%04d", rng.IntN(2500))
		if model[k] {
			tr.drop(k)
			delete(model, k)
		} else {
			tr.add(k)
			model[k] = true
		}
		if len(tr.pend) == 0 { // pendMax handed the changes to a merge
			forced++
			tr.wait()
			want := slices.Sorted(maps.Keys(model))
			if got := checkTree(t, tr.root, tr.n); !slices.Equal(got, want) {
				t.Fatalf("step %d: forced merge left %d keys, model %d", step, len(got), len(want))
			}
		}
		if rng.IntN(500) == 0 {
			v := tr.freeze() // merges first
			want := slices.Sorted(maps.Keys(model))
			if got := checkTree(t, v.root, v.n); !slices.Equal(got, want) {
				t.Fatalf("step %d: frozen tree holds %d keys, model %d", step, len(got), len(want))
			}
		}
	}
	if forced == 0 {
		t.Fatal("pendMax never forced a merge")
	}
}

// A KV's scan sees the keys created and deleted since the index last
// merged its pending changes, and an image frozen before later changes
// keeps the keys it had.
func TestKVRangeSeesPending(t *testing.T) {
	kv := NewKV(0)
	for i := range 100 {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%03d", i), Value: []byte("v")})
	}
	img, release, _ := kv.Freeze()
	defer release()
	kv.Apply(Command{Op: OpDelete, Key: "k050"})
	kv.Apply(Command{Op: OpSet, Key: "k050a", Value: []byte("v")})
	kv.Apply(Command{Op: OpSet, Key: "k050b", Value: []byte("v")})
	kv.Apply(Command{Op: OpDelete, Key: "k050b"})
	if len(kv.ord.pend) == 0 {
		t.Fatal("the changes were merged at once: nothing pending to test")
	}
	var got []string
	for k := range kv.Range("k049", "k052", false) {
		got = append(got, k)
	}
	if want := []string{"k049", "k050a", "k051"}; !slices.Equal(got, want) {
		t.Fatalf("KV range = %q, want %q", got, want)
	}
	got = got[:0]
	for k := range img.(KVImage).Range("k049", "k052", false) {
		got = append(got, k)
	}
	if want := []string{"k049", "k050", "k051"}; !slices.Equal(got, want) {
		t.Fatalf("image range = %q, want %q", got, want)
	}
}
