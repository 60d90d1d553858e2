package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// modelSize is what KV.Size must report for the model state m.
func modelSize(m map[string]string) (int, int64) {
	var b int64
	for k, v := range m {
		b += int64(len(k) + len(v))
	}
	return len(m), b
}

// TestKVSizeModel drives a KV with random sets, deletes, batches, clears
// and restores, with images taken and released at random (so changes go to
// the overlay and layers and are folded back), and checks Size against a
// model after every step.
func TestKVSizeModel(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			kv := store.NewKV(0)
			model := map[string]string{}
			var releases []func()
			key := func() string { return fmt.Sprintf("k%d", rng.IntN(40)) }
			val := func() string { return string(make([]byte, rng.IntN(20))) }
			for step := range 3000 {
				switch r := rng.IntN(100); {
				case r < 45:
					k, v := key(), val()
					_, _, err := kv.Apply(set(k, v))
					require.NoError(t, err)
					model[k] = v
				case r < 70:
					k := key()
					_, _, err := kv.Apply(del(k))
					require.NoError(t, err)
					delete(model, k)
				case r < 78:
					k1, k2, v := key(), key(), val()
					_, _, err := kv.Apply(bat(mset(k1, v), mdel(k2)))
					require.NoError(t, err)
					model[k1] = v
					delete(model, k2)
				case r < 80:
					_, _, err := kv.Apply(clr())
					require.NoError(t, err)
					clear(model)
					releases = nil // a clear drops what images shared
				case r < 88:
					_, release, err := kv.Freeze()
					require.NoError(t, err)
					releases = append(releases, release)
				case r < 95 && len(releases) > 0:
					i := rng.IntN(len(releases))
					releases[i]()
					releases = append(releases[:i], releases[i+1:]...)
				case r < 96:
					img, release, err := kv.Freeze()
					require.NoError(t, err)
					fresh := store.NewKV(0)
					require.NoError(t, fresh.Restore(img.Len(), func(yield func(k, v []byte) bool) {
						for k, v := range img.All {
							if !yield([]byte(k), v) {
								return
							}
						}
					}))
					release()
					kv = fresh
					releases = nil
				default:
					for store.Fold(kv) {
					}
				}
				keys, bytes := kv.Size()
				wk, wb := modelSize(model)
				require.Equal(t, wk, keys, "step %d: keys", step)
				require.Equal(t, wb, bytes, "step %d: bytes", step)
			}
		})
	}
}
