package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
)

// benchKV returns a KV of n keys of 16 bytes with 100-byte values.
func benchKV(n int) *KV {
	kv := NewKV(n)
	for i := range n {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("key-%012d", i), Value: make([]byte, 100)})
	}
	return kv
}

// BenchmarkImageRange reads 100 keys of a frozen image of 1M keys from a
// random start key: the cost of a range scan with the owner out of the
// way.
func BenchmarkImageRange(b *testing.B) {
	kv := benchKV(1_000_000)
	img, release, _ := kv.Freeze()
	defer release()
	im := img.(*image)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 100} {
		b.Run(fmt.Sprint(k), func(b *testing.B) {
			for b.Loop() {
				i := 0
				for range im.Range(fmt.Sprintf("key-%012d", rng.IntN(1_000_000)), "", false) {
					if i++; i == k {
						break
					}
				}
			}
		})
	}
}

// BenchmarkSetNew sets new keys in a KV of 1M keys, and overwrites
// existing ones: the index costs the first, and nothing to the second.
func BenchmarkSetNew(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		kv := benchKV(1_000_000)
		keys := make([]string, b.N)
		for i := range keys {
			keys[i] = fmt.Sprintf("new-%012d", rand.Uint64()%1e12)
		}
		timedSets(b, kv, keys)
	})
	b.Run("overwrite", func(b *testing.B) {
		kv := benchKV(1_000_000)
		keys := make([]string, b.N)
		for i := range keys {
			keys[i] = fmt.Sprintf("key-%012d", rand.IntN(1_000_000))
		}
		timedSets(b, kv, keys)
	})
}

// BenchmarkDeleteRange deletes every key of a KV of 1M keys in one range
// delete: the time the owner is held (ns/op is for the million).
func BenchmarkDeleteRange(b *testing.B) {
	for range b.N {
		b.StopTimer()
		kv := benchKV(1_000_000)
		b.StartTimer()
		if r, _, _ := kv.Apply(DeleteRangeCommand("", "")); r.N != 1_000_000 {
			b.Fatalf("deleted %d", r.N)
		}
	}
}

// BenchmarkOrderedOf builds the index of a restored map of 1M keys: the
// cost a snapshot's restore adds (ns/op is for the million).
func BenchmarkOrderedOf(b *testing.B) {
	kv := benchKV(1_000_000)
	for b.Loop() {
		orderedOf(kv.m)
	}
}

// BenchmarkRestoreMillion restores 1M records, as Open does from a
// snapshot (ns/op is for the million).
func BenchmarkRestoreMillion(b *testing.B) {
	const n = 1_000_000
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key-%012d", (i*7919)%n)
	}
	v := make([]byte, 100)
	for b.Loop() {
		kv := NewKV(0)
		err := kv.Restore(n, func(yield func(k, v []byte) bool) {
			for _, k := range keys {
				if !yield(k, v) {
					return
				}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplayMillion applies 1M sets of new keys to a KV as replay
// does, and then starts it (ns/op is for the million): with the index
// deferred, the start builds it once.
func BenchmarkReplayMillion(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", (i*7919)%n)
	}
	v := make([]byte, 100)
	for b.Loop() {
		kv := NewKV(0)
		var m Machine[Command, Query, Result] = kv
		if ix, ok := m.(interface{ deferIndex() }); ok {
			ix.deferIndex()
		}
		for _, k := range keys {
			kv.Apply(Command{Op: OpSet, Key: k, Value: v})
		}
		if ix, ok := m.(interface{ buildIndex() }); ok {
			ix.buildIndex()
		}
	}
}

// BenchmarkSetNewNoIndex is BenchmarkSetNew's "new" with the index
// deferred, as the store was before it had one: the baseline the index's
// cost is measured against.
func BenchmarkSetNewNoIndex(b *testing.B) {
	kv := benchKV(1_000_000)
	kv.deferIndex()
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = fmt.Sprintf("new-%012d", rand.Uint64()%1e12)
	}
	timedSets(b, kv, keys)
}

// BenchmarkIndexNew adds new keys to the index of a 1M-key store alone,
// with no map: "insert" goes down the tree for each, as the index did
// before pending changes, "pending" notes them and merges them in sorted
// batches (ordered_pending.go), "ascending" does so with keys created in
// increasing order after the others (time-ordered keys, say), which the
// merges put into the leaf they reached last (ordered_merge.go). What the
// index adds to a Set of a new key.
func BenchmarkIndexNew(b *testing.B) {
	keys := make([]string, 1_000_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", i)
	}
	for _, mode := range []string{"insert", "pending", "ascending"} {
		b.Run(mode, func(b *testing.B) {
			t := buildOrdered(keys)
			news := make([]string, b.N)
			for i := range news {
				news[i] = fmt.Sprintf("key-%012d", rand.Uint64()%1e12)
				if mode == "ascending" {
					news[i] = fmt.Sprintf("key-%012d", len(keys)+i)
				}
			}
			runtime.GC() // the fill's garbage is not the Sets' to collect
			cpu0 := cpuTime()
			b.ResetTimer()
			for _, k := range news {
				if mode == "insert" {
					t.insert(k)
				} else {
					t.add(k)
				}
			}
			t.flush()
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// timedSets times kv's Sets of keys, one each with a 100-byte value, in
// the benchmark's loop, and reports two CPU times a Set besides the wall
// time: the process's (cpu-ns/op: the owner, a merge's goroutine and
// the collector) and that of the owner's thread alone (owner-ns/op: the
// work that limits how fast the owner goes; the loop runs locked to it).
func timedSets(b *testing.B, kv *KV, keys []string) {
	v := make([]byte, 100)
	runtime.GC() // the fill's garbage is not the Sets' to collect
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, own0 := cpuTime(), threadTime()
	b.ResetTimer()
	for i := range b.N {
		kv.Apply(Command{Op: OpSet, Key: keys[i], Value: v})
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(threadTime()-own0)/float64(b.N), "owner-ns/op")
}

// threadTime returns the CPU time the calling thread has used, in ns
// (Linux's RUSAGE_THREAD; 0 where there is none).
func threadTime() int64 {
	const rusageThread = 1
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuTime returns the CPU time the process has used, in ns: under load a
// benchmark's wall time counts the other processes' turns too.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkFreezeBehindMerge times the worst freeze of the index while
// keys are created (ordered_merge.go): a merge of pendMax new keys has
// just been handed off and pendMax-1 more wait, so the freeze waits for
// the one and merges the others in the owner. ns/op is that pause, on an
// index of 1M keys that the freeze before left shared, as a View does:
// the merges copy the nodes they change.
func BenchmarkFreezeBehindMerge(b *testing.B) {
	keys := make([]string, 1_000_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", i)
	}
	t := buildOrdered(keys)
	news := make([]string, b.N*(2*pendMax-1))
	for i := range news {
		news[i] = fmt.Sprintf("key-%012d", rand.Uint64()%1e12)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for _, k := range news[i*(2*pendMax-1):][:2*pendMax-1] {
			t.add(k)
		}
		b.StartTimer()
		t.freeze()
	}
}

// BenchmarkScanCacheHeap reports the heap the scan cache takes once every
// key of a 1M-key store has been scanned (cache-B/key), and how much of
// it holds values (cached/key, 1 if every value is cached).
func BenchmarkScanCacheHeap(b *testing.B) {
	kv := benchKV(1_000_000)
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for b.Loop() {
		im, release := kv.freeze(true)
		for range im.Range("", "", false) { // the first scan fills nothing (scanCache.filling)
		}
		before := heap()
		for range im.Range("", "", false) {
		}
		after := heap()
		cached := 0
		for n, i := range walkAt(im.ord.root, "", "", false) {
			if _, ok := im.sc.get(n).value(i); ok {
				cached++
			}
		}
		b.ReportMetric(float64(after-before)/1e6, "cache-B/key")
		b.ReportMetric(float64(cached)/1e6, "cached/key")
		release()
		kv.baseChanged() // the next round starts a new cache
	}
}

// BenchmarkImageRangeChurn is BenchmarkImageRange/100 where a write to
// the base map comes before each scan, so that every scan has a new image
// and, with the scan cache, a new cache to fill: the cache's worst case.
func BenchmarkImageRangeChurn(b *testing.B) {
	kv := benchKV(1_000_000)
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]byte, 100)
	for b.Loop() {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("key-%012d", rng.IntN(1_000_000)), Value: v})
		im, release := kv.freeze(true)
		i := 0
		for range im.Range(fmt.Sprintf("key-%012d", rng.IntN(1_000_000)), "", false) {
			if i++; i == 100 {
				break
			}
		}
		release()
		for kv.fold() {
		}
	}
}
