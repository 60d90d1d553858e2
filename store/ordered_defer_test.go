package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDeferredIndex applies sets, deletes and range deletes to a KV whose
// index is deferred, as replay does, and checks that range scans, a
// frozen image's too, agree with a sorted model once it is built, and
// after more changes kept in it; and the same after a Restore.
func TestDeferredIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	kv := NewKV(0)
	kv.deferIndex()
	model := map[string]bool{}
	step := func(n int) {
		for range n {
			k := fmt.Sprintf("k%04d", rng.IntN(2000))
			switch r := rng.IntN(100); {
			case r < 60:
				kv.Apply(Command{Op: OpSet, Key: k, Value: []byte("v")})
				model[k] = true
			case r < 98:
				kv.Apply(Command{Op: OpDelete, Key: k})
				delete(model, k)
			default:
				end := fmt.Sprintf("k%04d", rng.IntN(2000))
				if end < k {
					k, end = end, k
				}
				kv.Apply(DeleteRangeCommand(k, end))
				maps.DeleteFunc(model, func(x string, _ bool) bool { return x >= k && x < end })
			}
		}
	}
	check := func(what string) {
		t.Helper()
		want := slices.Sorted(maps.Keys(model))
		var got []string
		for k := range kv.Range("", "", false) {
			got = append(got, k)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %d keys in order, model %d", what, len(got), len(want))
		}
		img, release, _ := kv.Freeze()
		defer release()
		got = got[:0]
		for k := range img.(KVImage).Range("", "", false) {
			got = append(got, k)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: image holds %d keys in order, model %d", what, len(got), len(want))
		}
	}
	step(3000) // a range delete among them builds the index on the way
	check("replayed")
	kv.deferIndex()
	for range 500 {
		k := fmt.Sprintf("k%04d", rng.IntN(2000))
		kv.Apply(Command{Op: OpSet, Key: k, Value: []byte("v")})
		model[k] = true
	}
	kv.buildIndex()
	check("built at start")
	step(3000)
	check("kept")

	restored := NewKV(0)
	keys := slices.Sorted(maps.Keys(model))
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	err := restored.Restore(len(keys), func(yield func(k, v []byte) bool) {
		for _, k := range keys {
			if !yield([]byte(k), []byte("v")) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	kv = restored
	check("restored")
	step(1000)
	check("restored and changed")
}
