package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/exp/stats"
)

const (
	numKeys   = 100_000 // keys in the get, set, mixed and batch workloads
	valueLen  = 100     // bytes per value
	batchSize = 100     // keys per batch in the batch workloads
	loadChunk = 1000    // keys per write when preloading
)

// key returns the 16-byte key number i.
func key(i int) string { return fmt.Sprintf("key-%012d", i) }

// value returns a 100-byte value that differs with i.
func value(i int) []byte {
	v := make([]byte, valueLen)
	fillValue(v, i)
	return v
}

func fillValue(v []byte, i int) {
	for j := range v {
		v[j] = byte(i + j)
	}
}

// makeKeys returns keys 0..n-1.
func makeKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = key(i)
	}
	return keys
}

// workload is what each worker goroutine does in a loop.
type workload int

const (
	wGet workload = iota
	wSet
	wMixed
	wBatchGet
	wBatchSet
)

// opsPerCall is how many keys one loop iteration of w counts.
func (w workload) opsPerCall() int {
	if w == wBatchGet || w == wBatchSet {
		return batchSize
	}
	return 1
}

// preload writes every key once, in chunks through SetMany where the store
// has it, else with Set from a few goroutines.
func preload(s store, keys []string) error {
	if _, ok := s.(preloadSkipper); ok {
		return nil
	}
	if bs, ok := s.(batchSetter); ok {
		vals := make([][]byte, 0, loadChunk)
		for lo := 0; lo < len(keys); lo += loadChunk {
			hi := min(lo+loadChunk, len(keys))
			vals = vals[:0]
			for i := lo; i < hi; i++ {
				vals = append(vals, value(i))
			}
			if err := bs.SetMany(keys[lo:hi], vals); err != nil {
				return err
			}
		}
		return nil
	}
	const workers = 8
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				if err := s.Set(keys[i], value(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// worker is one goroutine's state in a measured slice.
type worker struct {
	rng  *rand.Rand
	buf  []byte   // the value written by Set
	bkey []string // a batch's keys
	bval [][]byte // a batch's values
	ops  int64
}

func newWorker(seed uint64) *worker {
	w := &worker{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), buf: make([]byte, valueLen)}
	w.bkey = make([]string, batchSize)
	w.bval = make([][]byte, batchSize)
	for i := range w.bval {
		w.bval[i] = make([]byte, valueLen)
	}
	return w
}

// step runs one iteration of wl against s.
func (w *worker) step(s store, wl workload, keys []string) error {
	switch wl {
	case wGet:
		return checkGet(s, keys[w.rng.IntN(len(keys))])
	case wSet:
		w.buf[0]++
		return s.Set(keys[w.rng.IntN(len(keys))], w.buf)
	case wMixed:
		if w.rng.IntN(10) == 0 {
			w.buf[0]++
			return s.Set(keys[w.rng.IntN(len(keys))], w.buf)
		}
		return checkGet(s, keys[w.rng.IntN(len(keys))])
	case wBatchGet:
		for i := range w.bkey {
			w.bkey[i] = keys[w.rng.IntN(len(keys))]
		}
		if bg, ok := s.(batchGetter); ok {
			vals, err := bg.GetMany(w.bkey)
			if err != nil {
				return err
			}
			for i, v := range vals {
				if len(v) != valueLen {
					return fmt.Errorf("batch get %q: %d bytes, want %d", w.bkey[i], len(v), valueLen)
				}
			}
			return nil
		}
		for _, k := range w.bkey {
			if err := checkGet(s, k); err != nil {
				return err
			}
		}
		return nil
	case wBatchSet:
		for i := range w.bkey {
			w.bkey[i] = keys[w.rng.IntN(len(keys))]
			w.bval[i][0]++
		}
		if bs, ok := s.(batchSetter); ok {
			return bs.SetMany(w.bkey, w.bval)
		}
		for i, k := range w.bkey {
			if err := s.Set(k, w.bval[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown workload %d", wl)
}

// checkGet reads k and checks that it holds a 100-byte value.
func checkGet(s store, k string) error {
	v, err := s.Get(k)
	if err != nil {
		return fmt.Errorf("get %q: %w", k, err)
	}
	if len(v) != valueLen {
		return fmt.Errorf("get %q: %d bytes, want %d", k, len(v), valueLen)
	}
	return nil
}

// runSlice runs wl against s from exactly g goroutines until d has passed,
// and returns the throughput in keys per second.
func runSlice(s store, wl workload, g int, d time.Duration, keys []string, seed uint64) (float64, error) {
	var (
		stop  atomic.Bool
		wg    sync.WaitGroup
		start = make(chan struct{})
		errMu sync.Mutex
		first error
	)
	workers := make([]*worker, g)
	for i := range workers {
		workers[i] = newWorker(seed*1000 + uint64(i))
	}
	for _, w := range workers {
		wg.Go(func() {
			<-start
			for !stop.Load() {
				if err := w.step(s, wl, keys); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					stop.Store(true)
					return
				}
				w.ops++
			}
		})
	}
	t0 := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	timer.Stop()
	if first != nil {
		return 0, first
	}
	var ops int64
	for _, w := range workers {
		ops += w.ops
	}
	return float64(ops*int64(wl.opsPerCall())) / elapsed.Seconds(), nil
}

// opened is a contender that is open and preloaded.
type opened struct {
	name string
	s    store
}

// interleave runs wl at g goroutines on every contender in turn, for the
// configured rounds, rotating the order each round with a GC between
// slices, and returns the median throughput of each contender.
func interleave(cfg *config, cs []opened, wl workload, g int, keys []string) ([]float64, error) {
	samples := make([][]float64, len(cs))
	for r := range cfg.rounds {
		for j := range cs {
			i := (j + r) % len(cs)
			runtime.GC()
			v, err := runSlice(cs[i].s, wl, g, cfg.slice, keys, uint64(r*len(cs)+i+1))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cs[i].name, err)
			}
			samples[i] = append(samples[i], v)
		}
	}
	meds := make([]float64, len(cs))
	for i, s := range samples {
		meds[i] = median(s)
	}
	return meds, nil
}

// median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none: stats.Median panics on an empty slice.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stats.Median(xs)
}
