package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hurrahdb/hurrah/actor"
)

// Merges handed off to their own goroutine mixed with everything that
// reads the tree: Views frozen on the owner and scanned on other
// goroutines, published images, scans on the owner, range deletes and
// Clears. Every View's scan must yield exactly its image's keys in order,
// and the race detector must see no access to a node or to the tree's
// fields that a merge does not own.
func TestMergeStress(t *testing.T) {
	var merges atomic.Int64
	mergeHook = func() { merges.Add(1) }
	t.Cleanup(func() { mergeHook = nil })
	kv := NewKV(0)
	e := New[Command, Query, Result](kv, DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	defer e.Close()
	ctx := context.Background()
	apply := func(c Command) {
		data, err := EncodeCommand(c)
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := e.Update(ctx, c, data, AckApplied); err != nil {
			t.Error(err)
		}
	}
	const rounds = 12
	var wg sync.WaitGroup
	wg.Go(func() { // the writer: creates enough keys for many merges
		for r := range rounds {
			for i := range 3 * pendMax {
				k := fmt.Sprintf("k%06d", (i*7919+r*31)%100003)
				if i%5 == 4 {
					apply(Command{Op: OpDelete, Key: k})
				} else {
					apply(Command{Op: OpSet, Key: k, Value: []byte("v")})
				}
			}
			switch r % 4 {
			case 1:
				apply(Command{Op: OpDeleteRange, Key: fmt.Sprintf("k%02d", r), Value: []byte(fmt.Sprintf("k%02d", r+3))})
			case 3:
				apply(Command{Op: OpClear})
			}
		}
	})
	for range 2 { // readers: a View each, scanned off the owner
		wg.Go(func() {
			for range 4 * rounds {
				var im Image
				var release func()
				if err := e.Read(ctx, func() { im, release, _ = kv.Freeze() }); err != nil {
					t.Error(err)
					return
				}
				checkImageScan(t, im.(KVImage))
				if err := e.Read(ctx, release); err != nil {
					t.Error(err)
					return
				}
				if pv, rel, ok := e.PublishedView(); ok {
					checkImageScan(t, pv)
					rel()
				}
			}
		})
	}
	wg.Go(func() { // scans on the owner
		for range 4 * rounds {
			if err := e.Read(ctx, func() {
				var prev string
				for k := range kv.Range("k03", "k07", false) {
					if k <= prev {
						t.Errorf("owner scan: %q after %q", k, prev)
					}
					prev = k
				}
			}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if merges.Load() == 0 {
		t.Fatal("no merge was handed off: the test mixed nothing")
	}
	t.Logf("%d merges handed off", merges.Load())
}

// checkImageScan fails the test unless a scan of im yields exactly im's
// keys, in increasing order.
func checkImageScan(t *testing.T, im KVImage) {
	t.Helper()
	want := map[string]bool{}
	im.All(func(k string, _ []byte) bool { want[k] = true; return true })
	var got []string
	for k := range im.Range("", "", false) {
		got = append(got, k)
	}
	if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Errorf("a View's scan yields %d keys, its image holds %d", len(got), len(w))
	}
}
