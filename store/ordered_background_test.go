package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah/actor"
)

// bgProbe holds the background index build (ordered_background.go) once
// its tree is built, until resume is closed or Close cancels it, and
// reports whether the owner installed the tree.
type bgProbe struct {
	built  chan struct{}
	resume chan struct{}
	done   chan bool
}

// holdBgIndex sets the test seams for one engine, with a background build
// for stores of min keys or more.
func holdBgIndex(t *testing.T, min int) *bgProbe {
	p := &bgProbe{make(chan struct{}), make(chan struct{}), make(chan bool, 1)}
	old := bgIndexMin
	bgIndexMin = min
	bgIndexHook = func(ctx context.Context) {
		close(p.built)
		select {
		case <-p.resume:
		case <-ctx.Done():
		}
	}
	bgIndexDone = func(installed bool) { p.done <- installed }
	t.Cleanup(func() { bgIndexMin, bgIndexHook, bgIndexDone = old, nil, nil })
	return p
}

// bgEngine returns a started engine over a KV restored with n keys whose
// index is left to the background build, the KV, and its clock.
func bgEngine(t *testing.T, n int) (*Engine[Command, Query, Result], *KV, *atomic.Int64) {
	kv := NewKV(0)
	clock := new(atomic.Int64)
	clock.Store(1000)
	kv.SetClock(clock.Load, false)
	e := NewKVEngine(kv)
	for i := range n {
		k := fmt.Sprintf("k%05d", i)
		c := Command{Op: OpSet, Key: k, Value: []byte("v")}
		if i%10 == 0 {
			c = Command{Op: OpSetAt, Key: k, Value: []byte("v"), At: 2000}
		}
		if _, _, err := e.m.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	e.Start(nil, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })
	return e, kv, clock
}

// indexState returns, read in the owner, whether the index is deferred, a
// frozen view of it, and the keys the KV holds, sorted.
func indexState(t *testing.T, e *Engine[Command, Query, Result], kv *KV) (bool, ordView, []string) {
	t.Helper()
	var off bool
	var view ordView
	var keys []string
	if err := e.Read(context.Background(), func() {
		off = kv.ordOff
		if !off {
			view = kv.ord.freeze()
		}
		for k := range kv.all {
			keys = append(keys, k)
		}
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return off, view, keys
}

// rangeKeys returns the keys of an image's full range scan, frozen in the
// owner (which builds the index if it is still deferred).
func imageKeys(t *testing.T, e *Engine[Command, Query, Result], kv *KV) []string {
	t.Helper()
	var keys []string
	if err := e.Read(context.Background(), func() {
		img, release, _ := kv.Freeze()
		defer release()
		for k := range img.(KVImage).Range("", "", false) {
			keys = append(keys, k)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestBackgroundIndexCatchesUp makes random creates, overwrites, deletes,
// expiry removals and new layers while the background build holds its
// tree, and checks that the tree the owner installs holds exactly the
// keys, with the B-tree's invariants; then that it is kept from then on.
// With seed 2 the owner leaves the catch-up to the goroutine, in rounds,
// while writes go on.
func TestBackgroundIndexCatchesUp(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			p := holdBgIndex(t, 100)
			if seed == 2 {
				old := bgCatchUpMax
				bgCatchUpMax = 10
				t.Cleanup(func() { bgCatchUpMax = old })
			}
			e, kv, clock := bgEngine(t, 3000)
			<-p.built
			rng := rand.New(rand.NewPCG(seed, 7))
			ctx := context.Background()
			for i := range 2000 {
				k := fmt.Sprintf("k%05d", rng.IntN(4000))
				var c Command
				switch r := rng.IntN(100); {
				case r < 45:
					c = Command{Op: OpSet, Key: k, Value: []byte("w")}
				case r < 90:
					c = Command{Op: OpDelete, Key: k}
				case r < 95:
					c = Command{Op: OpSetAt, Key: k, Value: []byte("w"), At: 3000 + int64(i)}
				default:
					// A layer above the build's image, as a
					// publication or a snapshot makes.
					if err := e.Read(ctx, func() { _, release := kv.freeze(false); release() }); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if _, err := e.Update(ctx, c, nil, AckApplied); err != nil {
					t.Fatal(err)
				}
			}
			clock.Store(2500) // a tenth of the restored keys expire...
			off, _, before := indexState(t, e, kv)
			if !off {
				t.Fatal("index built before the background build handed it back")
			}
			clock.Store(10_000) // ... and then every deadline set since
			// A turn of its own, at whose end the owner removes what is
			// due: indexState reads the keys before its turn's end, and
			// the expiry timer's nudge may come after it.
			if err := e.Read(ctx, func() {}); err != nil {
				t.Fatal(err)
			}
			_, _, after := indexState(t, e, kv)
			if len(after) >= len(before) {
				t.Fatalf("no expiry removal: %d keys, then %d", len(before), len(after))
			}
			close(p.resume)
			var installed bool
		write:
			for {
				select {
				case installed = <-p.done:
					break write
				default:
				}
				k := fmt.Sprintf("k%05d", rng.IntN(4000))
				c := Command{Op: OpSet, Key: k, Value: []byte("y")}
				if rng.IntN(2) == 0 {
					c = Command{Op: OpDelete, Key: k}
				}
				if _, err := e.Update(ctx, c, nil, AckApplied); err != nil {
					t.Fatal(err)
				}
			}
			if !installed {
				t.Fatal("the background tree was not installed")
			}
			off, view, want := indexState(t, e, kv)
			if off {
				t.Fatal("index still deferred after the install")
			}
			if got := checkTree(t, view.root, view.n); !slices.Equal(got, want) {
				t.Fatalf("installed tree holds %d keys, the store %d", len(got), len(want))
			}
			for i := range 500 { // kept from then on
				k := fmt.Sprintf("k%05d", rng.IntN(4000))
				c := Command{Op: OpDelete, Key: k}
				if i%2 == 0 {
					c = Command{Op: OpSet, Key: k, Value: []byte("x")}
				}
				if _, err := e.Update(ctx, c, nil, AckApplied); err != nil {
					t.Fatal(err)
				}
			}
			_, view, want = indexState(t, e, kv)
			if got := checkTree(t, view.root, view.n); !slices.Equal(got, want) {
				t.Fatalf("tree holds %d keys, the store %d", len(got), len(want))
			}
		})
	}
}

// TestBackgroundIndexAfterClear clears the store, and fills it again,
// while the build runs: the owner drops the tree of the old state, and
// the index, built when first needed, holds the new keys.
func TestBackgroundIndexAfterClear(t *testing.T) {
	p := holdBgIndex(t, 100)
	e, kv, _ := bgEngine(t, 1000)
	<-p.built
	ctx := context.Background()
	want := map[string]bool{}
	if _, err := e.Update(ctx, Command{Op: OpClear}, nil, AckApplied); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		k := fmt.Sprintf("n%04d", i*7%1000)
		if _, err := e.Update(ctx, Command{Op: OpSet, Key: k, Value: []byte("v")}, nil, AckApplied); err != nil {
			t.Fatal(err)
		}
		want[k] = true
	}
	close(p.resume)
	if <-p.done {
		t.Fatal("the tree of the cleared state was installed")
	}
	if got := imageKeys(t, e, kv); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("range scan: %d keys, want %d", len(got), len(want))
	}
	_, view, keys := indexState(t, e, kv)
	if got := checkTree(t, view.root, view.n); !slices.Equal(got, keys) {
		t.Fatalf("tree holds %d keys, the store %d", len(got), len(keys))
	}
}

// TestBackgroundIndexFreezeFirst freezes an image, as a View does, before
// the build hands its tree back: the image's range scan is right (the
// index is built on the spot), and the background tree is dropped.
func TestBackgroundIndexFreezeFirst(t *testing.T) {
	p := holdBgIndex(t, 100)
	e, kv, _ := bgEngine(t, 1000)
	<-p.built
	ctx := context.Background()
	for i := range 100 {
		if _, err := e.Update(ctx, Command{Op: OpDelete, Key: fmt.Sprintf("k%05d", i*3)}, nil, AckApplied); err != nil {
			t.Fatal(err)
		}
	}
	_, _, want := indexState(t, e, kv)
	if got := imageKeys(t, e, kv); !slices.Equal(got, want) {
		t.Fatalf("image's range scan: %d keys, the store %d", len(got), len(want))
	}
	close(p.resume)
	if <-p.done {
		t.Fatal("the background tree replaced the index built for the image")
	}
	_, view, want := indexState(t, e, kv)
	if got := checkTree(t, view.root, view.n); !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys, the store %d", len(got), len(want))
	}
}

// TestBackgroundIndexClose closes the engine while the build holds its
// tree: Close cancels it and waits for its goroutine (goleak, TestMain),
// and the tree is not installed.
func TestBackgroundIndexClose(t *testing.T) {
	p := holdBgIndex(t, 100)
	e, _, _ := bgEngine(t, 1000)
	<-p.built
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case installed := <-p.done:
		if installed {
			t.Fatal("tree installed by a closing engine")
		}
	default: // the owner had stopped: the tree was dropped unsent
	}
}

// TestSmallStoreIndexNow checks that a store under bgIndexMin keys has
// its index built by Start, with no goroutine.
func TestSmallStoreIndexNow(t *testing.T) {
	p := holdBgIndex(t, 2000)
	e, kv, _ := bgEngine(t, 1000)
	off, view, want := indexState(t, e, kv)
	if off {
		t.Fatal("index of a small store deferred after Start")
	}
	if got := checkTree(t, view.root, view.n); !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys, the store %d", len(got), len(want))
	}
	select {
	case <-p.built:
		t.Fatal("a background build for a small store")
	default:
	}
}

// BenchmarkBackgroundIndex starts an engine over n restored keys, as
// Open does after a snapshot's restore, with the index built in Start
// (background=false) or in the background, and reports how long Start
// takes (start-ms) and how long until the index is ready (ready-ms).
func BenchmarkBackgroundIndex(b *testing.B) {
	for _, n := range []int{1 << 14, 1 << 16, 1_000_000} {
		for _, bg := range []bool{false, true} {
			b.Run(fmt.Sprintf("keys=%d/background=%v", n, bg), func(b *testing.B) {
				benchBackgroundIndex(b, n, bg)
			})
		}
	}
}

func benchBackgroundIndex(b *testing.B, n int, bg bool) {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key-%012d", (i*7919)%n)
	}
	v := make([]byte, 100)
	{
		{
			old := bgIndexMin
			defer func() { bgIndexMin, bgIndexDone = old, nil }()
			if !bg {
				bgIndexMin = n + 1
			} else {
				bgIndexMin = 1
			}
			done := make(chan bool, 1)
			bgIndexDone = func(ok bool) { done <- ok }
			var start, ready time.Duration
			for range b.N {
				kv := NewKV(0)
				e := NewKVEngine(kv)
				if err := e.m.(Snapshotter).Restore(n, func(yield func(k, v []byte) bool) {
					for _, k := range keys {
						if !yield(k, v) {
							return
						}
					}
				}); err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				e.Start(nil, actor.Options{})
				start += time.Since(t0)
				if bg && !<-done {
					b.Fatal("the background index was not installed")
				}
				ready += time.Since(t0)
				_ = e.Close()
			}
			b.ReportMetric(float64(start.Microseconds())/1e3/float64(b.N), "start-ms")
			b.ReportMetric(float64(ready.Microseconds())/1e3/float64(b.N), "ready-ms")
		}
	}
}
