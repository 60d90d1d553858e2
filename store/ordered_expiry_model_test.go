package store_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// TestKVRangeExpiryModel checks the KV's and its images' range scans,
// lookups and counts against a model, while keys are created and removed
// (so the index has changes pending), given deadlines, expired, deleted by
// range, and while images are taken, released and folded in steps, and
// the KV restored from an image (its index deferred).
func TestKVRangeExpiryModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 11))
			c := &fakeClock{}
			kv := clockedKV(c)
			model := map[string]modelEntry{}
			type openImage struct {
				img     store.KVImage
				release func()
				want    map[string]modelEntry
			}
			var images []openImage
			key := func() string { return fmt.Sprintf("k%03d", rng.IntN(300)) }
			sortedLive := func(m map[string]modelEntry, now int64, start, end string, rev bool) []string {
				var ks []string
				for k := range visible(m, now) {
					if k >= start && (end == "" || k < end) {
						ks = append(ks, k)
					}
				}
				slices.Sort(ks)
				if rev {
					slices.Reverse(ks)
				}
				return ks
			}
			scan := func(seq func(func(string, []byte) bool)) []string {
				var ks []string
				for k := range seq {
					ks = append(ks, k)
				}
				return ks
			}
			for step := range 6000 {
				now := c.now()
				switch r := rng.IntN(100); {
				case r < 35:
					k, at := key(), int64(0)
					if rng.IntN(2) == 0 {
						at = now + int64(rng.IntN(100)) - 10
						if at == 0 {
							at = 1
						}
					}
					mustApply(t, kv, store.Command{Op: store.OpSetAt, Key: k, Value: []byte(fmt.Sprint(step)), At: at})
					model[k] = modelEntry{fmt.Sprint(step), at}
				case r < 50:
					k := key()
					mustApply(t, kv, del(k))
					delete(model, k)
				case r < 52:
					a, b := key(), key()
					if b < a {
						a, b = b, a
					}
					mustApply(t, kv, store.Command{Op: store.OpDeleteRange, Key: a, Value: []byte(b)})
					for k := range model {
						if k >= a && k < b {
							delete(model, k)
						}
					}
				case r < 60:
					c.ns.Add(int64(rng.IntN(20)))
				case r < 68:
					data, _, _ := store.ExpireDue(kv)
					if data != nil {
						cmd, err := store.DecodeCommand(data)
						require.NoError(t, err)
						for _, m := range cmd.Batch {
							delete(model, m.Key)
						}
					}
				case r < 74:
					img, release, err := kv.Freeze()
					require.NoError(t, err)
					images = append(images, openImage{img.(store.KVImage), release, maps.Clone(model)})
				case r < 82:
					for range rng.IntN(3) {
						store.Fold(kv)
					}
				case r < 83:
					kv = restoredKV(t, kv, c) // the images stay the old KV's; the index is deferred
				case r < 88 && len(images) > 0:
					i := rng.IntN(len(images))
					images[i].release()
					images = slices.Delete(images, i, i+1)
				}
				now = c.now()
				if step%7 != 0 {
					continue
				}
				start, end := key(), ""
				if rng.IntN(2) == 0 {
					end = key()
					if end < start {
						start, end = end, start
					}
				}
				rev := rng.IntN(2) == 0
				require.Equal(t, sortedLive(model, now, start, end, rev), scan(kv.Range(start, end, rev)),
					"step %d: KV range %q %q %v", step, start, end, rev)
				require.Equal(t, len(visible(model, now)), kv.Query(store.Query{Op: store.QueryLen}).N, "step %d", step)
				for _, im := range images {
					require.Equal(t, sortedLive(im.want, now, start, end, rev), scan(im.img.Range(start, end, rev)),
						"step %d: image range %q %q %v", step, start, end, rev)
					iw := visible(im.want, now)
					require.Equal(t, len(iw), im.img.LiveLen(), "step %d", step)
					k := key()
					v, ok := im.img.Get(k)
					wv, wok := iw[k]
					require.Equal(t, wok, ok, "step %d: image get %q", step, k)
					require.Equal(t, wv, string(v), "step %d: image get %q", step, k)
				}
			}
		})
	}
}
