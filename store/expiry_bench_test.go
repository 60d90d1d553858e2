package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah/store"
)

// BenchmarkExpireMillion times the owner's expiry steps when a million
// keys share one deadline: how many steps removing them takes, and the
// median, 99th percentile and longest step. Nothing asserts on them; the
// README's Expiry section quotes them. Run:
//
//	go test -run '^$' -bench ExpireMillion -benchtime 1x ./store
func BenchmarkExpireMillion(b *testing.B) {
	for range b.N {
		b.StopTimer()
		c := &fakeClock{}
		kv := clockedKV(c)
		for i := range 1_000_000 {
			kv.Apply(store.Command{Op: store.OpSetAt, Key: fmt.Sprintf("key-%012d", i), Value: []byte("v"), At: 100})
		}
		c.ns.Store(100)
		var steps []time.Duration
		b.StartTimer()
		for {
			t0 := time.Now()
			data, _, _ := store.ExpireDue(kv)
			steps = append(steps, time.Since(t0))
			if data == nil {
				break
			}
		}
		slices.Sort(steps)
		b.ReportMetric(float64(len(steps)), "steps")
		b.ReportMetric(float64(steps[len(steps)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(steps[len(steps)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(steps[len(steps)-1].Microseconds()), "max-µs")
	}
}
