package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKVImagesModel mixes every way the KV creates and removes keys
// (sets, deletes, range deletes, Clear, a deferred index built later)
// with frozen images of both kinds and folds, and checks that each image
// keeps the keys and values it had, in order, however the KV changes
// after it was taken.
func TestKVImagesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kv := NewKV(0)
	model := map[string]string{}
	type open struct {
		im      *image
		release func()
		keys    map[string]string
		ordered bool
	}
	var ims []open
	checkIm := func(o open, what string) {
		t.Helper()
		for k, v := range o.keys {
			if got, ok := o.im.Get(k); !ok || string(got) != v {
				t.Fatalf("%s: image lost %q=%q (got %q %v)", what, k, v, got, ok)
			}
		}
		if !o.ordered {
			return
		}
		var got []string
		for k, v := range o.im.Range("", "", false) {
			if o.keys[k] != string(v) {
				t.Fatalf("%s: image range %q=%q want %q", what, k, v, o.keys[k])
			}
			got = append(got, k)
		}
		if want := slices.Sorted(maps.Keys(o.keys)); !slices.Equal(got, want) {
			t.Fatalf("%s: image range %d keys, want %d", what, len(got), len(want))
		}
	}
	for step := range 15000 {
		k := fmt.Sprintf("k%04d", rng.IntN(1500))
		v := fmt.Sprint(step)
		switch r := rng.IntN(1000); {
		case r < 500:
			kv.Apply(Command{Op: OpSet, Key: k, Value: []byte(v)})
			model[k] = v
		case r < 850:
			kv.Apply(Command{Op: OpDelete, Key: k})
			delete(model, k)
		case r < 870:
			end := fmt.Sprintf("k%04d", rng.IntN(1500))
			if end < k {
				k, end = end, k
			}
			kv.Apply(DeleteRangeCommand(k, end))
			maps.DeleteFunc(model, func(x, _ string) bool { return x >= k && x < end })
		case r < 872:
			kv.Apply(Command{Op: OpClear})
			clear(model)
		case r < 875:
			kv.deferIndex()
		case r < 880:
			kv.buildIndex()
		case r < 920:
			ordered := rng.IntN(2) == 0
			im, release := kv.freeze(ordered)
			ims = append(ims, open{im, release, maps.Clone(model), ordered})
		case r < 960 && len(ims) > 0:
			i := rng.IntN(len(ims))
			checkIm(ims[i], fmt.Sprintf("step %d", step))
			ims[i].release()
			ims = slices.Delete(ims, i, i+1)
		default:
			for kv.fold() {
			}
		}
	}
	for i, o := range ims {
		checkIm(o, fmt.Sprintf("end %d", i))
	}
	var got []string
	for k, v := range kv.Range("", "", false) {
		if model[k] != string(v) {
			t.Fatalf("kv range %q=%q want %q", k, v, model[k])
		}
		got = append(got, k)
	}
	if want := slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
		t.Fatalf("kv range %d keys, want %d", len(got), len(want))
	}
}
