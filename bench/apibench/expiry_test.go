package apibench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// BenchmarkExpiryCost measures what expiry costs Set and Get: a store whose
// every key has a deadline (an hour away, so nothing expires during the
// run) against one with none, and SetBytes with a TTL against without.
// The four are interleaved in a balanced cycle (balancedCycle: each
// follows each other one equally often), so that drift of the machine
// (other processes, CPU frequency) and what one run leaves to the next
// (the collector's debt) fall on all of them alike. Run with:
//
//	cd bench && go test -run '^$' -bench ExpiryCost -benchtime 1x ./apibench
//
// It reports each ratio (expiry / without, the median over the rounds,
// the k-th run of one against the k-th of the other) and its spread (the
// interquartile range of the rounds' ratios), and ns/op of each variant.
// Memory-only stores, one caller goroutine: the owner's work is all there
// is to measure.
func BenchmarkExpiryCost(b *testing.B) { benchExpiryCost(b, hurrah.TTL(time.Hour)) }

// BenchmarkExpiryCostBaseline is BenchmarkExpiryCost with no deadline
// anywhere: the second store and the "-ttl" variants are plain too. Its
// ratios, which nothing but the benchmark makes differ from 1, show how
// far the benchmark's own order and noise move them:
//
//	cd bench && go test -run '^$' -bench ExpiryCostBaseline -benchtime 1x ./apibench
func BenchmarkExpiryCostBaseline(b *testing.B) { benchExpiryCost(b) }

// benchExpiryCost is BenchmarkExpiryCost with ttl, the options that give
// the second store's keys and the set-ttl variant's writes a deadline.
func benchExpiryCost(b *testing.B, ttl ...hurrah.SetOption) {
	const rounds, per = 24, 20_000 // rounds: runs of each, a multiple of 3 (balancedCycle)
	ctx := context.Background()
	open := func(opts ...hurrah.SetOption) *hurrah.DB {
		db, err := hurrah.Open("", nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		for i, k := range benchKeySet() {
			if err := db.SetBytes(ctx, k, benchValue(i), opts...); err != nil {
				b.Fatal(err)
			}
		}
		return db
	}
	plain, withTTL := open(), open(ttl...)
	keys := benchKeySet()
	value := benchValue(7)
	timed := func(op func(i int) error) float64 {
		t0 := time.Now()
		for i := range per {
			if err := op(i * 7919 % len(keys)); err != nil {
				b.Fatal(err)
			}
		}
		return float64(time.Since(t0).Nanoseconds()) / per
	}
	get := func(db *hurrah.DB) func(int) error {
		return func(i int) error { _, err := db.GetBytes(ctx, keys[i]); return err }
	}
	set := func(db *hurrah.DB, opts ...hurrah.SetOption) func(int) error {
		return func(i int) error { return db.SetBytes(ctx, keys[i], value, opts...) }
	}
	variants := []struct {
		name string
		op   func(int) error
	}{
		{"get", get(plain)}, {"get-ttl", get(withTTL)},
		{"set", set(plain)}, {"set-ttl", set(withTTL, ttl...)},
	}
	for range b.N {
		ns := make([][]float64, len(variants))
		cycle := balancedCycle(len(variants))
		for i := 0; len(ns[0]) < rounds || i%len(cycle) != 0; i++ {
			v := cycle[i%len(cycle)]
			ns[v] = append(ns[v], timed(variants[v].op))
		}
		for _, pair := range [][2]int{{0, 1}, {2, 3}} {
			ratios := make([]float64, rounds)
			for r := range rounds {
				ratios[r] = ns[pair[1]][r] / ns[pair[0]][r]
			}
			slices.Sort(ratios)
			name := variants[pair[1]].name
			b.ReportMetric(ratios[rounds/2], name+"/plain")
			b.ReportMetric(ratios[3*rounds/4]-ratios[rounds/4], name+"-iqr")
		}
		for v := range variants {
			s := slices.Sorted(slices.Values(ns[v]))
			b.ReportMetric(s[rounds/2], variants[v].name+"-ns/op")
		}
	}
}

// BenchmarkExpiryMillion sets a million keys that share one deadline, lets
// it pass, and has the owner expire them: it reports how long removing
// them all took, keys/s, and the longest owner step spent on it
// (Stats.MaxPause, which counts expiry steps as it counts folds). Run:
//
//	cd bench && go test -run '^$' -bench ExpiryMillion -benchtime 1x ./apibench
func BenchmarkExpiryMillion(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		db, before := millionDue(b)
		t0 := time.Now()
		for {
			if err := db.Sync(ctx); err != nil { // a turn; the owner also nudges itself
				b.Fatal(err)
			}
			if keys, err := db.Keys(ctx); err != nil {
				b.Fatal(err)
			} else if len(keys) == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(t0)
		b.ReportMetric(float64(took.Milliseconds()), "ms-to-expire-all")
		b.ReportMetric(millionKeys/took.Seconds(), "keys/s")
		b.ReportMetric(float64(db.Stats().MaxPause.Microseconds()), "max-step-µs")
		b.ReportMetric(float64(before.Microseconds()), "max-step-before-µs")
		db.Close()
	}
}

// BenchmarkExpiryMillionLen is BenchmarkExpiryMillion with Len called
// over and over while the million keys are removed: it reports the
// longest Len call, how many were made, how long removing them all took,
// and the longest owner step (Stats.MaxPause). Len counts the expired keys
// in the owner's turn only while few are due. Run:
//
//	cd bench && go test -run '^$' -bench ExpiryMillionLen -benchtime 1x ./apibench
func BenchmarkExpiryMillionLen(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		db, _ := millionDue(b)
		var worst time.Duration
		calls := 0
		t0 := time.Now()
		for db.Stats().Keys > 0 {
			t := time.Now()
			if n, err := db.Len(ctx); err != nil {
				b.Fatal(err)
			} else if n != 0 {
				b.Fatalf("Len = %d after the deadline", n)
			}
			worst = max(worst, time.Since(t))
			calls++
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "ms-to-expire-all")
		b.ReportMetric(float64(worst.Microseconds()), "max-len-µs")
		b.ReportMetric(float64(calls), "len-calls")
		b.ReportMetric(float64(db.Stats().MaxPause.Microseconds()), "max-step-µs")
		db.Close()
	}
}

const millionKeys = 1_000_000

// millionDue opens a memory-only store, sets a million keys sharing one
// deadline, waits until it has passed, and returns the store and its
// Stats.MaxPause before then.
func millionDue(b *testing.B) (*hurrah.DB, time.Duration) {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(time.Hour) // moved near once all are set
	var batch hurrah.Batch
	setAll := func(at time.Time) {
		for i := range millionKeys {
			batch.SetBytes(benchKey(i), []byte("v"), hurrah.Deadline(at))
			if batch.Len() == 10_000 {
				if err := db.Write(ctx, &batch); err != nil {
					b.Fatal(err)
				}
				batch.Reset()
			}
		}
	}
	setAll(deadline)
	soon := time.Now().Add(50 * time.Millisecond)
	setAll(soon) // bring every deadline forward, to one instant
	before := db.Stats().MaxPause
	time.Sleep(time.Until(soon))
	return db, before
}
