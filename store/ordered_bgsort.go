package store

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// The background index build's sort, which Close can stop.
//
// Why: the build sorts every key of a restored store, about 0.35 s per 1M
// keys, and Close waits for the goroutine that does it. With the whole
// sort one call (sortKeys), a Close right after Open waited for all of it
// to end, only to drop the tree. Here the keys are sorted in runs of
// bgSortRun keys, then merged in pairs of runs, and the build looks at its
// context between runs and every bgSortRun keys of a merge: once Close
// cancels it, the goroutine is done within one run. The comparisons add up
// to those of one sort (a run's sort and the merges' levels), plus a copy
// of the keys per level of merging.

// bgSortRun is how many keys are sorted, or merged, between two looks at
// the context. A variable, for tests.
var bgSortRun = 1 << 15

// bgSortHook, nil but in tests, runs before each run is sorted.
var bgSortHook func(ctx context.Context)

// sortKeysCtx sorts keys, which it may reorder, and returns them sorted,
// or false if ctx ended first. With two processors or more, two goroutines
// share the work; both have returned when it returns.
func sortKeysCtx(ctx context.Context, keys []string) ([]string, bool) {
	if len(keys) <= bgSortRun {
		slices.Sort(keys)
		return keys, ctx.Err() == nil
	}
	workers := min(runtime.GOMAXPROCS(0), 2)
	var runs [][]string
	for lo := 0; lo < len(keys); lo += bgSortRun {
		runs = append(runs, keys[lo:min(lo+bgSortRun, len(keys))])
	}
	if !inParallel(workers, len(runs), func(i int) bool {
		if ctx.Err() != nil {
			return false
		}
		if bgSortHook != nil {
			bgSortHook(ctx)
		}
		slices.Sort(runs[i])
		return true
	}) {
		return nil, false
	}
	src, dst := keys, make([]string, len(keys)) // the runs are in src
	for len(runs) > 1 {
		merged := make([][]string, (len(runs)+1)/2)
		at := 0
		for i := range merged { // each merged run's place in buf
			n := len(runs[2*i])
			if 2*i+1 < len(runs) {
				n += len(runs[2*i+1])
			}
			merged[i], at = dst[at:at:at+n], at+n
		}
		if !inParallel(workers, len(merged), func(i int) bool {
			var b []string
			if 2*i+1 < len(runs) {
				b = runs[2*i+1]
			}
			merged[i] = mergeKeys(ctx, merged[i], runs[2*i], b)
			return merged[i] != nil
		}) {
			return nil, false
		}
		runs, src, dst = merged, dst, src
	}
	return runs[0], true
}

// mergeKeys appends to dst the sorted runs a and b merged, and returns it,
// or nil if ctx ended first.
func mergeKeys(ctx context.Context, dst, a, b []string) []string {
	for n := 1; len(a) > 0 && len(b) > 0; n++ {
		if n%bgSortRun == 0 && ctx.Err() != nil {
			return nil
		}
		if strings.Compare(a[0], b[0]) <= 0 {
			dst, a = append(dst, a[0]), a[1:]
		} else {
			dst, b = append(dst, b[0]), b[1:]
		}
	}
	return append(append(dst, a...), b...)
}

// inParallel calls f(i) for i from 0 to n-1 on workers goroutines, worker w
// taking w, w+workers, w+2*workers..., and stops a worker at the first f
// that returns false. It reports whether every f returned true, once every
// goroutine has returned.
func inParallel(workers, n int, f func(i int) bool) bool {
	var wg sync.WaitGroup
	failed := make([]bool, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if !f(i) {
					failed[w] = true
					return
				}
			}
		})
	}
	wg.Wait()
	return !slices.Contains(failed, true)
}
