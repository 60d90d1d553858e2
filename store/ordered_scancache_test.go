package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// cacheModel is what an image must show: each key's value and deadline.
type cacheModel map[string]entry

// checkScan scans im over a random range, forward or back, stopping after
// a random number of keys, and fails if a key or value differs from want
// as of the clock reading now. It is the check for a stale cached value:
// every write in the tests below writes a value no other write wrote.
func checkScan(rng *rand.Rand, im *image, want cacheModel, now int64, keys int) error {
	start := fmt.Sprintf("k%05d", rng.IntN(keys))
	end := ""
	if rng.IntN(3) == 0 {
		end = fmt.Sprintf("k%05d", rng.IntN(keys))
		if end < start {
			start, end = end, start
		}
	}
	reverse := rng.IntN(4) == 0
	limit := 1 + rng.IntN(300)
	var wantKeys []string
	for k, e := range want {
		if k >= start && (end == "" || k < end) && !e.expiredAt(now) {
			wantKeys = append(wantKeys, k)
		}
	}
	slices.Sort(wantKeys)
	if reverse {
		slices.Reverse(wantKeys)
	}
	wantKeys = wantKeys[:min(limit, len(wantKeys))]
	got := 0
	for k, v := range im.Range(start, end, reverse) {
		if got == len(wantKeys) || k != wantKeys[got] {
			return fmt.Errorf("scan [%q, %q) rev %v: key %d is %q, want %v", start, end, reverse, got, k, wantKeys[got:min(got+1, len(wantKeys))])
		}
		if string(v) != want[k].s {
			return fmt.Errorf("scan [%q, %q) rev %v: %q = %q, want %q (a stale value)", start, end, reverse, k, v, want[k].s)
		}
		if got++; got == limit {
			break
		}
	}
	if got != len(wantKeys) {
		return fmt.Errorf("scan [%q, %q) rev %v: %d keys, want %d", start, end, reverse, got, len(wantKeys))
	}
	return nil
}

// TestScanCacheModel overwrites, creates, deletes and expires keys, folds,
// clears and restores, while images are taken, scanned again and again
// (which fills their scan caches) and released, and checks every scan of
// every image against what the store held when it was taken.
func TestScanCacheModel(t *testing.T) {
	const keys = 3000
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 14))
			var now int64 = 1000
			kv := NewKV(0)
			kv.SetClock(func() int64 { return now }, false)
			model := cacheModel{}
			write := func(k string, step, at int64) {
				v := fmt.Sprintf("v%d", step)
				kv.Apply(Command{Op: OpSetAt, Key: k, Value: []byte(v), At: at})
				model[k] = entry{s: v, at: at}
			}
			for i := range keys {
				if i%3 != 0 {
					write(fmt.Sprintf("k%05d", i), int64(-i), 0)
				}
			}
			type open struct {
				im      *image
				release func()
				want    cacheModel
			}
			var ims []open
			releaseAll := func() {
				for _, o := range ims {
					o.release()
				}
				ims = nil
			}
			for step := range int64(20000) {
				k := fmt.Sprintf("k%05d", rng.IntN(keys))
				switch r := rng.IntN(1000); {
				case r < 450:
					if _, ok := model[k]; ok || r < 100 {
						write(k, step, 0)
					}
				case r < 500:
					write(k, step, now+int64(rng.IntN(50)))
				case r < 540:
					kv.Apply(Command{Op: OpDelete, Key: k})
					delete(model, k)
				case r < 550:
					now += int64(rng.IntN(20))
				case r < 620:
					im, release := kv.freeze(true)
					ims = append(ims, open{im, release, maps.Clone(model)})
				case r < 680 && len(ims) > 0:
					i := rng.IntN(len(ims))
					ims[i].release()
					ims = slices.Delete(ims, i, i+1)
				case r < 690:
					releaseAll()
				case r < 700:
					for kv.fold() {
					}
				case r < 701:
					kv.Apply(Command{Op: OpClear})
					clear(model)
				case r < 702:
					restoreModel(t, kv, model)
					ims = nil // the restored KV does not count their releases
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

// restoreModel restores kv from model, deadlines and all.
func restoreModel(t *testing.T, kv *KV, model cacheModel) {
	t.Helper()
	err := kv.RestoreAt(len(model), func(yield func(k, v []byte, at int64) bool) {
		for k, e := range model {
			if !yield([]byte(k), []byte(e.s), e.at) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	kv.buildIndex()
}

// TestScanCacheConcurrent scans images from several goroutines while the
// owner goes on writing: readers fill and read the caches of nodes that
// images share, at the same time, under -race.
func TestScanCacheConcurrent(t *testing.T) {
	const keys = 5000
	kv := NewKV(0)
	model := cacheModel{}
	step := 0
	write := func(k string) {
		step++
		v := fmt.Sprintf("v%d", step)
		kv.Apply(Command{Op: OpSet, Key: k, Value: []byte(v)})
		model[k] = entry{s: v}
	}
	for i := range keys {
		write(fmt.Sprintf("k%05d", i))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var failed atomic.Value
	for round := range 40 {
		var wg sync.WaitGroup
		var releases []func()
		for range 2 {
			im, release := kv.freeze(true)
			releases = append(releases, release)
			want := maps.Clone(model)
			for r := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(round), uint64(r)))
					for range 60 {
						if err := checkScan(rng, im, want, 0, keys); err != nil {
							failed.CompareAndSwap(nil, err)
							return
						}
					}
				}()
			}
			for range 300 { // into the overlay: the images share the map
				write(fmt.Sprintf("k%05d", rng.IntN(keys)))
			}
		}
		wg.Wait()
		for _, r := range releases {
			r()
		}
		for kv.fold() {
		}
		for range 100 { // into the map itself: nothing shares it
			write(fmt.Sprintf("k%05d", rng.IntN(keys)))
		}
		if err := failed.Load(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// TestScanCacheFills checks that the cache does what it is for: once a
// range has been scanned twice (the first scan of a cache fills nothing:
// scanCache.filling), another image of the same, unchanged map reads
// its values from the cache, and a write to the map starts a new one.
func TestScanCacheFills(t *testing.T) {
	kv := benchKV(10_000)
	scan := func(im *image) (hits int) {
		var f scanFill
		f.sc = im.sc
		for n, i := range walkAt(im.ord.root, "", "", false) {
			if _, ok := f.sc.get(n).value(i); ok {
				hits++
			}
		}
		return hits
	}
	im, release := kv.freeze(true)
	if h := scan(im); h != 0 {
		t.Fatalf("a new cache holds %d values", h)
	}
	for range im.Range("", "", false) {
	}
	if h := scan(im); h != 0 {
		t.Fatalf("the first scan of a cache filled %d values: it should fill none", h)
	}
	for range im.Range("", "", false) {
	}
	if h := scan(im); h < 9_000 {
		t.Fatalf("after a second full scan the cache holds %d values of 10000", h)
	}
	release()
	im2, release2 := kv.freeze(true)
	if im2.sc != im.sc || scan(im2) < 9_000 {
		t.Fatal("an image of the same map did not keep the cache")
	}
	release2()
	kv.Apply(Command{Op: OpSet, Key: "key-000000000001", Value: []byte("x")})
	im3, release3 := kv.freeze(true)
	defer release3()
	if im3.sc == im.sc || scan(im3) != 0 {
		t.Fatal("a write to the map left the cache in place")
	}
}

// TestScanCacheLongValues checks that values too long for the cache's
// lengths (noVal bytes or more) are read from the map, whole, and that
// their neighbours are cached still.
func TestScanCacheLongValues(t *testing.T) {
	kv := NewKV(0)
	for i := range 40 {
		v := make([]byte, 10+i%2*int(noVal))
		v[len(v)-1] = byte(i)
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%02d", i), Value: v})
	}
	im, release := kv.freeze(true)
	defer release()
	for round := range 3 { // the second fills the cache, the third reads it
		i := 0
		for k, v := range im.Range("", "", false) {
			if want := 10 + i%2*int(noVal); len(v) != want || v[len(v)-1] != byte(i) {
				t.Fatalf("round %d: %s is %d bytes ending %d, want %d ending %d", round, k, len(v), v[len(v)-1], want, i)
			}
			i++
		}
	}
	cached := 0
	for n, i := range walkAt(im.ord.root, "", "", false) {
		if _, ok := im.sc.get(n).value(i); ok {
			cached++
		}
	}
	if cached != 20 {
		t.Fatalf("%d values cached, want the 20 short ones", cached)
	}
}
