package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hurrahdb/hurrah"
	"golang.org/x/exp/stats"
)

const pauseWriters = 4 // goroutines writing while the snapshot runs

// setLatencies runs pauseWriters goroutines doing SetBytes on db until
// stop is set, and returns every call's latency.
func setLatencies(db *hurrah.DB, n int, stop *atomic.Bool) ([]time.Duration, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		all  []time.Duration
		errs = make(chan error, pauseWriters)
	)
	for w := range pauseWriters {
		wg.Go(func() {
			w := newWorker(uint64(w + 1))
			var lat []time.Duration
			for !stop.Load() {
				w.buf[0]++
				t0 := time.Now()
				if err := db.SetBytes(bg, key(w.rng.IntN(n)), w.buf); err != nil {
					errs <- err
					return
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	return all, <-errs
}

// p99 returns the 99th percentile of ds, or 0 for none.
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(stats.Quantiles(xs, 0.99)[0])
}

// pauseRun is what one snapshot under load measured.
type pauseRun struct {
	maxPause, took        time.Duration
	p99During, p99Without time.Duration
	nDuring, nWithout     int
}

// runPause measures hurrah's longest owner pause while it snapshots
// cfg.restartKeys keys under pauseWriters writing goroutines, and the p99
// latency of their Sets with and without a snapshot running. It does so
// cfg.restartRuns times, reopening the store each time (Stats().MaxPause
// counts from Open), and reports the medians.
func runPause(cfg *config, emit func(figure)) error {
	n := cfg.restartKeys
	dir, err := os.MkdirTemp(cfg.tmp, "pause-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := &hurrah.Options{Durability: hurrah.Written, SnapshotThreshold: -1}
	if err := withHurrah(dir, opts, func(db *hurrah.DB) error { return fill(newHurrahStore(db), n, 1000, 0) }); err != nil {
		return err
	}
	var runs []pauseRun
	for range cfg.restartRuns {
		r, err := pauseOnce(cfg, dir, opts, n)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	med := func(f func(pauseRun) time.Duration) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, float64(f(r))/float64(time.Millisecond))
		}
		return median(xs)
	}
	var pauses []string
	for _, r := range runs {
		pauses = append(pauses, r.maxPause.Round(10*time.Microsecond).String())
	}
	size := ""
	if n != 1_000_000 {
		size = fmt.Sprintf(" [%d keys]", n)
	}
	pause := med(func(r pauseRun) time.Duration { return r.maxPause })
	emit(figure{name: "snapshot/pause", unit: "ms", hurrah: pause, lower: true,
		target: "≤5 ms (lower is better)" + size, met: yesNo(pause <= 5),
		note: fmt.Sprintf("median of Stats().MaxPause over %d snapshots, each after a reopen (%s); a snapshot took %v with %d writers busy",
			len(runs), strings.Join(pauses, ", "), runs[0].took.Round(time.Millisecond), pauseWriters)})
	emit(figure{name: "snapshot/p99", unit: "ms", hurrah: med(func(r pauseRun) time.Duration { return r.p99During }), lower: true,
		peers:  []entry{{"no-snapshot", med(func(r pauseRun) time.Duration { return r.p99Without })}},
		target: "none (lower is better; p99 Set latency during a snapshot, ratio=during÷without)" + size, met: "n/a",
		note: fmt.Sprintf("%d writers; %d Sets during the first snapshot, %d without", pauseWriters, runs[0].nDuring, runs[0].nWithout)})
	return nil
}

// pauseOnce opens the store in dir, samples Set latency without and then
// during a snapshot, and closes it.
func pauseOnce(cfg *config, dir string, opts *hurrah.Options, n int) (pauseRun, error) {
	var r pauseRun
	db, err := hurrah.Open(dir, opts)
	if err != nil {
		return r, err
	}
	defer db.Close()
	if got, err := db.Len(bg); err != nil || got != n {
		return r, fmt.Errorf("%d keys (%v), want %d", got, err, n)
	}

	var stop atomic.Bool
	time.AfterFunc(cfg.pauseBase, func() { stop.Store(true) })
	without, err := setLatencies(db, n, &stop)
	if err != nil {
		return r, err
	}

	stop.Store(false)
	snapErr := make(chan error, 1)
	go func() {
		t0 := time.Now()
		err := db.Snapshot(bg)
		r.took = time.Since(t0)
		time.Sleep(100 * time.Millisecond) // the overlay is folded back after
		stop.Store(true)
		snapErr <- err
	}()
	during, err := setLatencies(db, n, &stop)
	if err := <-snapErr; err != nil {
		return r, fmt.Errorf("snapshot: %w", err)
	}
	if err != nil {
		return r, err
	}
	st := db.Stats()
	if st.Snapshots != 1 {
		return r, fmt.Errorf("%d snapshots taken, want 1", st.Snapshots)
	}
	r.maxPause = st.MaxPause
	r.p99During, r.p99Without = p99(during), p99(without)
	r.nDuring, r.nWithout = len(during), len(without)
	return r, db.Close()
}
