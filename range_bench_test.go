package hurrah

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
)

// BenchmarkSetNewKeys sets keys the store does not hold yet, memory only,
// from parallel goroutines, on a store of 1M keys: each creates a key in
// the map and in the ordered index. BenchmarkSetOverwrite overwrites keys
// it holds, which leaves the index alone. Both run unchanged on a build
// without the index, to compare.
func BenchmarkSetNewKeys(b *testing.B) { benchSet(b, true) }

// BenchmarkSetOverwrite: see BenchmarkSetNewKeys.
func BenchmarkSetOverwrite(b *testing.B) { benchSet(b, false) }

func benchSet(b *testing.B, fresh bool) {
	ctx := context.Background()
	db, err := Open("", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 1_000_000
	var bt Batch
	for i := range n {
		bt.SetBytes(fmt.Sprintf("key-%012d", i*7919%n), make([]byte, 100))
		if bt.Len() == 1000 {
			if err := db.Write(ctx, &bt); err != nil {
				b.Fatal(err)
			}
			bt.Reset()
		}
	}
	var next atomic.Int64
	v := make([]byte, 100)
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			k := fmt.Sprintf("key-%012d", i*7919%n)
			if fresh {
				k = fmt.Sprintf("new-%012d", i*104729%(1<<40))
			}
			if err := db.SetBytes(ctx, k, v); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the CPU time the process has used, in ns: on a
// shared machine a parallel benchmark's wall time counts other processes'
// turns too, its CPU time does not.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
