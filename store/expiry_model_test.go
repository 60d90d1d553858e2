package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// modelEntry is a key of the model: its value and deadline (0: none).
type modelEntry struct {
	v  string
	at int64
}

// visible returns what the model shows at now: the keys not expired.
func visible(m map[string]modelEntry, now int64) map[string]string {
	out := map[string]string{}
	for k, e := range m {
		if e.at == 0 || e.at > now {
			out[k] = e.v
		}
	}
	return out
}

// TestKVExpiryModel drives a KV with random sets (with and without
// deadlines, pushed back and brought forward), deletes, deadline changes,
// clears, clock moves, expiry steps and images, and checks after every
// step what reads show (Get, Len, Size, Deadline) against a model, and
// that every image still shows what it showed when taken (at its clock).
// A replica that applies only the journaled commands (the OpExpires
// included) ends equal. Now and then the KV is replaced by one restored
// from an image of it, deadlines and all, as a snapshot restores it.
func TestKVExpiryModel(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			c := &fakeClock{}
			kv, replica := clockedKV(c), clockedKV(c)
			model := map[string]modelEntry{}
			type openImage struct {
				img     store.KVImage
				release func()
				want    map[string]modelEntry
			}
			var images []openImage
			// do applies cmd live and, if it changed the state, what
			// the journal records of it to the replica: the command
			// itself, or logged if given (as for OpExpireIfLive).
			do := func(cmd store.Command, logged ...store.Command) store.Result {
				r, changed, err := kv.Apply(cmd)
				require.NoError(t, err)
				if changed {
					if len(logged) > 0 {
						cmd = logged[0]
					}
					_, _, err := replica.Apply(cmd)
					require.NoError(t, err)
				}
				return r
			}
			key := func() string { return fmt.Sprintf("k%d", rng.IntN(30)) }
			when := func() int64 { return c.now() + int64(rng.IntN(200)) - 20 }
			for step := range 4000 {
				now := c.now()
				switch r := rng.IntN(100); {
				case r < 30:
					k, at := key(), when()
					if at == 0 {
						at = 1
					}
					do(store.Command{Op: store.OpSetAt, Key: k, Value: []byte(fmt.Sprint(step)), At: at})
					model[k] = modelEntry{fmt.Sprint(step), at}
				case r < 40:
					k := key()
					do(set(k, "p"))
					model[k] = modelEntry{"p", 0}
				case r < 50:
					k := key()
					do(del(k))
					delete(model, k)
				case r < 60:
					k, at := key(), when()
					if rng.IntN(4) == 0 {
						at = 0
					}
					res := do(store.Command{Op: store.OpExpireIfLive, Key: k, At: at},
						store.Command{Op: store.OpExpireAt, Key: k, At: at})
					e, ok := model[k]
					live := ok && (e.at == 0 || e.at > now)
					require.Equal(t, live, res.Found, "step %d", step)
					if live {
						model[k] = modelEntry{e.v, at}
					}
				case r < 61:
					do(clr())
					clear(model)
					for _, im := range images {
						im.release()
					}
					images = nil
				case r < 62:
					kv = restoredKV(t, kv, c) // the images taken stay the old KV's
				case r < 70:
					c.ns.Add(int64(rng.IntN(40)))
				case r < 82:
					data, _, _ := store.ExpireDue(kv)
					if data != nil {
						cmd, err := store.DecodeCommand(data)
						require.NoError(t, err)
						_, _, err = replica.Apply(cmd)
						require.NoError(t, err)
						for _, m := range cmd.Batch {
							e := model[m.Key]
							require.True(t, e.at != 0 && e.at <= now, "step %d: expired %q, not due", step, m.Key)
							delete(model, m.Key)
						}
					}
				case r < 88:
					img, release, err := kv.Freeze()
					require.NoError(t, err)
					want := map[string]modelEntry{}
					for k, e := range model {
						want[k] = e
					}
					images = append(images, openImage{img.(store.KVImage), release, want})
				case r < 92:
					for range rng.IntN(3) {
						store.Fold(kv) // a step or two: layers stay half folded
					}
				case len(images) > 0:
					i := rng.IntN(len(images))
					images[i].release()
					images = append(images[:i], images[i+1:]...)
				}
				require.NoError(t, store.CheckDeadlines(kv), "step %d", step)
				require.NoError(t, store.CheckDeadlines(replica), "step %d", step)
				now = c.now()
				want := visible(model, now)
				require.Equal(t, want, kvState(kv), "step %d", step)
				require.Equal(t, len(want), kv.Query(store.Query{Op: store.QueryLen}).N, "step %d", step)
				n, size := kv.Size()
				wn, wsize := modelSize(want)
				require.Equal(t, wn, n, "step %d", step)
				require.Equal(t, wsize, size, "step %d", step)
				for k := range want {
					require.Equal(t, model[k].at, kv.Deadline(k), "step %d: %q", step, k)
				}
				for _, im := range images {
					iw := visible(im.want, now)
					require.Equal(t, len(iw), im.img.LiveLen(), "step %d", step)
					got := map[string]string{}
					for k, v := range im.img.Live {
						got[k] = string(v)
						require.Equal(t, im.want[k].at, im.img.Deadline(k))
					}
					require.Equal(t, iw, got, "step %d: image", step)
					require.Equal(t, len(im.want), im.img.Len())
				}
			}
			require.Equal(t, kvState(kv), kvState(replica))
		})
	}
}

// restoredKV returns a KV on clock c restored from an image of kv, with
// the deadlines, as Open restores a snapshot.
func restoredKV(t *testing.T, kv *store.KV, c *fakeClock) *store.KV {
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	ki := img.(store.KVImage)
	fresh := clockedKV(c)
	require.NoError(t, fresh.RestoreAt(img.Len(), func(yield func(k, v []byte, at int64) bool) {
		for k, v := range img.All {
			if !yield([]byte(k), v, ki.Deadline(k)) {
				return
			}
		}
	}))
	return fresh
}
