package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/tidwall/buntdb"
)

// The range figures: hurrah's ordered scans against buntdb's, on 1M keys
// (100k in quick mode), in one interleaved run, one goroutine. range/first
// reads the first key and value at or after a random start key; range/100
// reads 100 from there. hurrah takes a View per scan (two owner round
// trips, as a caller who scans now and then does), and hurrah-held-view
// scans one View held open for the whole slice; buntdb runs each scan in a
// View (a read lock) with AscendGreaterOrEqual on its key tree. Nothing
// writes while the figures run, so hurrah's scans fill its scan cache as
// they go (store/ordered_scancache.go) and read from it: the first round
// holds the warm-up, the median the warm cache. A store written between
// every two scans gets no hits (README, "Range scans").

// rangeScanner scans n keys from start and returns the bytes it read.
type rangeScanner struct {
	name  string
	scan  func(start string, n int) (int, error)
	close func()
}

// runRange measures range/first and range/100.
func runRange(cfg *config, emit func(figure)) error {
	n := cfg.restartKeys
	if cfg.quick {
		n = 100_000
	}
	db, err := hurrah.Open("", nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := fill(newHurrahStore(db), n, 1000, 0); err != nil {
		return err
	}
	bunt, err := openBunt("", buntdb.Never, true)
	if err != nil {
		return err
	}
	defer bunt.db.Close()
	if err := fill(bunt, n, 1000, 0); err != nil {
		return err
	}
	held, err := db.View(bg)
	if err != nil {
		return err
	}
	defer held.Close()
	scanners := []rangeScanner{
		{name: "hurrah", scan: func(start string, k int) (int, error) {
			v, err := db.View(bg)
			if err != nil {
				return 0, err
			}
			defer v.Close()
			return scanView(v, start, k)
		}},
		{name: "hurrah-held-view", scan: func(start string, k int) (int, error) { return scanView(held, start, k) }},
		{name: "buntdb-mem", scan: func(start string, k int) (int, error) {
			got := 0
			err := bunt.db.View(func(tx *buntdb.Tx) error {
				i := 0
				return tx.AscendGreaterOrEqual("", start, func(key, value string) bool {
					got += len(key) + len(value)
					i++
					return i < k
				})
			})
			return got, err
		}},
	}
	for _, k := range []int{1, 100} {
		name := fmt.Sprintf("range/%d", k)
		if k == 1 {
			name = "range/first"
		}
		if !cfg.selected(name) {
			continue
		}
		rates, err := interleaveScans(cfg, scanners, n, k)
		if err != nil {
			return err
		}
		f := figure{name: name, unit: "scans/s", hurrah: median(rates[0])}
		for i, s := range scanners[1:] {
			f.peers = append(f.peers, entry{s.name, median(rates[i+1])})
		}
		f.target = "≥1/2 of buntdb-mem (throughput; ratio=hurrah÷peer)"
		f.met = yesNo(f.ratio("buntdb-mem") >= 0.5)
		f.note = fmt.Sprintf("%d keys; min/median/max over %d rounds: ", n, cfg.rounds)
		for i, s := range scanners {
			f.note += fmt.Sprintf("%s %.3g/%.3g/%.3g; ", s.name, slices.Min(rates[i]), median(rates[i]), slices.Max(rates[i]))
		}
		emit(f)
		fmt.Println("#", f.note)
	}
	return nil
}

// scanView reads k keys of v from start and returns the bytes it read.
func scanView(v *hurrah.View, start string, k int) (int, error) {
	seq, err := v.Range(start, "", &hurrah.RangeOptions{Limit: k})
	if err != nil {
		return 0, err
	}
	got := 0
	for key, value := range seq {
		got += len(key) + len(value)
	}
	return got, nil
}

// interleaveScans runs each scanner for a slice per round, rotating the order
// each round, and returns each one's scans/s of every round.
func interleaveScans(cfg *config, scanners []rangeScanner, n, k int) ([][]float64, error) {
	rates := make([][]float64, len(scanners))
	rng := rand.New(rand.NewPCG(7, 8))
	for r := range cfg.rounds {
		for j := range scanners {
			i := (j + r) % len(scanners)
			s := scanners[i]
			ops := 0
			t0 := time.Now()
			for time.Since(t0) < cfg.slice {
				got, err := s.scan(key(rng.IntN(n)), k)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", s.name, err)
				}
				if got < k*(16+valueLen) && got == 0 {
					return nil, fmt.Errorf("%s: a scan read nothing", s.name)
				}
				ops++
			}
			rates[i] = append(rates[i], float64(ops)/time.Since(t0).Seconds())
		}
	}
	return rates, nil
}
