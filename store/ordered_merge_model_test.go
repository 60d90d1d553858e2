package store

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

// Random changes, merged both on the owner and handed off, against a
// model: keys of a small alphabet and lengths from 1 to 8 or 20 bytes (many
// share prefixes, some are prefixes of others, many fall on a leaf's
// edges or on a separator), a key often created and removed again in one
// buffer. Views frozen along the way must keep their keys while later
// merges copy the nodes they share and the finger fills leaves.
func TestMergeModel(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 99))
		var tr ordered
		model := map[string]bool{}
		type frozen struct {
			v    ordView
			keys []string
		}
		var views []frozen
		for step := range 24 {
			for range rng.IntN(3 * pendMax) {
				alphabet := "abc\x00\xff"[:3+2*(seed%2)]
				b := make([]byte, 1+rng.IntN(8+12*int(seed%3/2)))
				for i := range b {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
				k := string(b)
				if model[k] {
					tr.drop(k)
					delete(model, k)
				} else {
					tr.add(k)
					model[k] = true
				}
			}
			if step%3 == 0 {
				v := tr.freeze()
				want := slices.Sorted(maps.Keys(model))
				if got := checkTree(t, v.root, v.n); !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: tree holds %d keys, want %d", seed, step, len(got), len(want))
				}
				views = append(views, frozen{v, want})
			}
		}
		tr.flush()
		for i, f := range views {
			if got := checkTree(t, f.v.root, f.v.n); !slices.Equal(got, f.keys) {
				t.Fatalf("seed %d: view %d changed after it was frozen: %d keys, want %d", seed, i, len(got), len(f.keys))
			}
		}
		if got, want := checkTree(t, tr.root, tr.n), slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
			t.Fatalf("seed %d: tree holds %d keys, want %d", seed, len(got), len(want))
		}
	}
}
