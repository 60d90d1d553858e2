package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// TestSortKeysCtx checks sortKeysCtx against slices.Sort for key counts
// around the run size (one run, runs of which the last is short, an odd
// number of runs) and with duplicate-free random keys.
func TestSortKeysCtx(t *testing.T) {
	old := bgSortRun
	bgSortRun = 64
	t.Cleanup(func() { bgSortRun = old })
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 63, 64, 65, 128, 129, 64*3 + 5, 64 * 8, 1000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("k%08d", rng.Uint32())
		}
		want := slices.Sorted(slices.Values(keys))
		got, ok := sortKeysCtx(context.Background(), slices.Clone(keys))
		if !ok || !slices.Equal(got, want) {
			t.Fatalf("%d keys: sorted %v (ok %v), want %v", n, got, ok, want)
		}
	}
}

// TestSortKeysCtxCanceled checks that a canceled context stops the sort,
// in the runs and in the merges (a context already canceled when a merge
// begins is seen within bgSortRun keys).
func TestSortKeysCtxCanceled(t *testing.T) {
	old := bgSortRun
	bgSortRun = 64
	t.Cleanup(func() { bgSortRun = old })
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%04d", len(keys)-i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := sortKeysCtx(ctx, slices.Clone(keys)); ok {
		t.Fatal("a canceled sort reported success")
	}
	if got := mergeKeys(ctx, nil, keys[:500], keys[500:]); got != nil {
		t.Fatalf("a canceled merge returned %d keys", len(got))
	}
}

// TestBackgroundIndexCloseStopsSort closes the engine while the background
// build has sorted the first run of keys: Close cancels the build, the
// worker that holds that run sorts no more runs, and Close returns without
// waiting for the rest of the sort. Without the look at the context
// between runs it sorts them all.
func TestBackgroundIndexCloseStopsSort(t *testing.T) {
	holdBgIndex(t, 100)
	oldRun := bgSortRun
	bgSortRun = 16
	started := make(chan struct{})
	var sorted atomic.Int64
	bgSortHook = func(ctx context.Context) {
		if sorted.Add(1) == 1 {
			close(started)
			<-ctx.Done() // held until Close cancels the build
		}
	}
	t.Cleanup(func() { bgSortRun, bgSortHook = oldRun, nil })
	e, _, _ := bgEngine(t, 3200) // 200 runs
	<-started
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// The worker held in the hook sorts none of its other 99 runs; the
	// other worker, if there is one, may have sorted all of its 100.
	if n := sorted.Load(); n > 101 {
		t.Fatalf("%d runs of 200 sorted after Close began", n)
	}
}
