package hurrah

import (
	"bytes"
	"context"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkOpenBackup1M times OpenBackup loading the backup of a store of
// 1M keys (30-byte values), as a replica installing a raft snapshot does,
// and reports the heap it takes: peak-MB is the most the heap's objects
// grew above what they were before the call, sampled every 100 µs while it
// ran (so a little under the true peak); store-MB what the opened store
// keeps once collected; alloc-MB all it allocated. Run it with:
//
//	go test -run '^$' -bench OpenBackup1M -benchtime 3x .
func BenchmarkOpenBackup1M(b *testing.B) {
	ctx := context.Background()
	backup := benchBackup(b, 1_000_000)
	b.ReportAllocs()
	var peak, kept, alloc float64
	for b.Loop() {
		runtime.GC()
		before := heapObjects()
		var ms0 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		stop := sampleHeapPeak()
		db, _, err := OpenBackup(ctx, bytes.NewReader(backup), nil)
		top := stop()
		require.NoError(b, err)
		var ms1 runtime.MemStats
		runtime.ReadMemStats(&ms1)
		b.StopTimer()
		runtime.GC()
		peak += float64(top - before)
		kept += float64(heapObjects() - before)
		alloc += float64(ms1.TotalAlloc - ms0.TotalAlloc)
		require.NoError(b, db.Close())
		b.StartTimer()
	}
	n := float64(b.N) * (1 << 20)
	b.ReportMetric(peak/n, "peak-MB")
	b.ReportMetric(kept/n, "store-MB")
	b.ReportMetric(alloc/n, "alloc-MB")
}

// benchBackup returns the backup of a memory-only store holding key-0 ..
// key-(n-1), each set to 30 bytes.
func benchBackup(b *testing.B, n int) []byte {
	ctx := context.Background()
	src := openT(b, "", nil)
	value := bytes.Repeat([]byte("v"), 30)
	for i := range n {
		require.NoError(b, src.SetBytes(ctx, "key-"+strconv.Itoa(i), value))
	}
	var buf bytes.Buffer
	_, err := src.Backup(ctx, &buf)
	require.NoError(b, err)
	return buf.Bytes()
}

// heapObjects returns the bytes of the heap's objects, live or not yet
// collected.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeapPeak samples heapObjects every 100 µs until the function it
// returns is called, which returns the most it saw.
func sampleHeapPeak() (stop func() uint64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var top uint64
	wg.Go(func() {
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			top = max(top, heapObjects())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(top, heapObjects())
	}
}
