package apibench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// BenchmarkWatchWrites measures what attached watchers cost writers: the
// writes/s of 8 goroutines calling SetBytes on a persistent store at the
// default durability (Written), with 0, 1 and 16 watchers reading the
// change feed as applied. Each iteration is one round that runs each of
// the three twice on the same store, in a balanced cycle (balancedCycle:
// each follows each other once), so that drift on a shared machine and
// what one run leaves to the next touch all three alike:
//
//	cd bench && go test -run '^$' -bench 'WatchWrites$' -benchtime 4x ./apibench
//
// It reports the median writes/s of each, the ratios to 0 watchers (the
// cost of a watcher is 1 minus the ratio), and the noise: the spread
// (max-min) of the 0-watcher runs over their median.
func BenchmarkWatchWrites(b *testing.B) { benchWatchWrites(b, 0, 1, 16) }

// BenchmarkWatchWritesBaseline is BenchmarkWatchWrites with 0, 0 and 1
// watchers: the ratio of the second 0 to the first, which only the
// benchmark's order and noise move from 1, shows how far they move the
// others ("ratio-0w").
//
//	cd bench && go test -run '^$' -bench WatchWritesBaseline -benchtime 4x ./apibench
func BenchmarkWatchWritesBaseline(b *testing.B) { benchWatchWrites(b, 0, 0, 1) }

// benchWatchWrites runs BenchmarkWatchWrites with the given numbers of
// watchers, the first the reference of the ratios.
func benchWatchWrites(b *testing.B, counts ...int) {
	const writesPerRun = 40_000
	db, err := hurrah.Open(b.TempDir(), &hurrah.Options{SnapshotThreshold: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rates := make([][]float64, len(counts))
	cpus := make([][]float64, len(counts)) // ns per write
	falls := make([]uint64, len(counts))
	cycle := balancedCycle(len(counts))
	b.ResetTimer()
	for round := range b.N {
		for j, i := range cycle {
			r := watchedWrites(b, db, counts[i], writesPerRun, round*len(cycle)+j)
			rates[i] = append(rates[i], r.rate)
			cpus[i] = append(cpus[i], float64(r.cpu.Nanoseconds()))
			falls[i] += r.fallbacks
		}
	}
	b.StopTimer()
	med, cpu := make([]float64, len(counts)), make([]float64, len(counts))
	for i, r := range rates {
		slices.Sort(r)
		med[i] = r[len(r)/2]
		slices.Sort(cpus[i])
		cpu[i] = cpus[i][len(r)/2]
		if i == 0 || counts[i] != counts[0] {
			b.ReportMetric(med[i], fmt.Sprintf("writes/s-%dw", counts[i]))
			b.ReportMetric(cpu[i], fmt.Sprintf("cpu-ns/write-%dw", counts[i]))
			b.ReportMetric(float64(falls[i])/float64(len(rates[i])), fmt.Sprintf("fallbacks/run-%dw", counts[i]))
		}
	}
	for i := 1; i < len(counts); i++ {
		b.ReportMetric(med[i]/med[0], fmt.Sprintf("ratio-%dw", counts[i]))
		b.ReportMetric(cpu[i]/cpu[0], fmt.Sprintf("cpu-ratio-%dw", counts[i]))
	}
	r0 := rates[0]
	b.ReportMetric((r0[len(r0)-1]-r0[0])/med[0], "noise-0w")
}

// watchedWrites attaches n watchers to db, waits until each is reading,
// then times writes SetBytes calls from 8 goroutines and returns writes/s,
// and the CPU time the process spent per write until every watcher had
// seen the last one (the work of watchers that fell behind is counted).
// The watchers are detached before it returns.
func watchedWrites(b *testing.B, db *hurrah.DB, n, writes, run int) (r watchRun) {
	ctx, cancel := context.WithCancel(context.Background())
	var watchers sync.WaitGroup
	ready, done := make(chan struct{}, n), make(chan struct{}, n)
	marker := fmt.Sprintf("marker-%d-%d", run, n)
	end := marker + "-end"
	for range n {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			seen := false
			for c, err := range db.Watch(ctx, 0, nil) {
				if err != nil {
					if !errors.Is(err, context.Canceled) {
						b.Error(err)
					}
					return
				}
				if !seen && c.Key == marker {
					seen = true
					ready <- struct{}{}
				}
				if c.Key == end {
					done <- struct{}{}
				}
			}
		}()
	}
	// Each watcher begins at the write after its start: repeat the marker
	// until every watcher has seen one.
	for got := 0; got < n; {
		if err := db.SetBytes(ctx, marker, nil); err != nil {
			b.Fatal(err)
		}
		select {
		case <-ready:
			got++
		case <-time.After(time.Millisecond):
		}
	}
	const g = 8
	var wg sync.WaitGroup
	t0, c0, f0 := time.Now(), processCPU(), db.Stats().WatchFallbacks
	for w := range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(run)))
			for range writes / g {
				i := rng.IntN(benchKeys)
				if err := db.SetBytes(ctx, benchKey(i), benchValue(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r.rate = float64(writes/g*g) / time.Since(t0).Seconds()
	if err := db.SetBytes(ctx, end, nil); err != nil {
		b.Fatal(err)
	}
	for range n {
		<-done
	}
	r.cpu = (processCPU() - c0) / time.Duration(writes/g*g)
	r.fallbacks = db.Stats().WatchFallbacks - f0
	cancel()
	watchers.Wait()
	return r
}

// watchRun is what watchedWrites measured.
type watchRun struct {
	rate      float64       // writes/s
	cpu       time.Duration // the process's CPU time per write
	fallbacks uint64        // Stats.WatchFallbacks during the run
}
