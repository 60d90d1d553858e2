package apibench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/hurrahdb/hurrah"
)

// Benchmarks for the public API, run with exactly G caller goroutines each
// (not RunParallel, whose goroutine count follows GOMAXPROCS):
//
//	cd bench && go test -run '^$' -bench . -benchtime=1s ./apibench
//
// Each reports ns/op (wall time over b.N operations shared by all G
// goroutines, so the inverse of throughput) and ops/s. BenchmarkBareOwnerLoop
// and BenchmarkRWMutexMapGet are baselines for the same workload, so one run
// yields the ratios. Nothing here asserts on timing.

const (
	benchKeys     = 100_000
	benchValueLen = 100
)

var benchGoroutines = []int{1, 8, 64}

// benchKey returns the 16-byte key number i.
func benchKey(i int) string { return fmt.Sprintf("key-%012d", i) }

var benchKeySet = sync.OnceValue(func() []string {
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	return keys
})

// benchValue returns a 100-byte value that differs per key.
func benchValue(i int) []byte {
	v := make([]byte, benchValueLen)
	for j := range v {
		v[j] = byte(i + j)
	}
	return v
}

// benchStruct is a small typed value; its CBOR encoding is about 100 bytes.
type benchStruct struct {
	ID      uint64
	Name    string
	Score   float64
	Payload []byte
}

func newBenchStruct(i int) benchStruct {
	return benchStruct{ID: uint64(i), Name: benchKey(i), Score: float64(i) / 3, Payload: benchValue(i)[:48]}
}

// runG runs b.N calls of op split across exactly g goroutines, started
// together, and reports ops/s. op gets its worker's random source, from
// which it draws keys. An op that fails stops its worker and fails the
// benchmark.
func runG(b *testing.B, g int, op func(rng *rand.Rand) error) {
	b.Helper()
	b.ReportAllocs()
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	per, extra := b.N/g, b.N%g
	for w := range g {
		n := per
		if w < extra {
			n++
		}
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			rng := rand.New(rand.NewPCG(uint64(w)+1, uint64(b.N)))
			ready.Done()
			<-start
			for range n {
				if err := op(rng); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	ready.Wait()
	b.ResetTimer()
	close(start)
	done.Wait()
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "ops/s")
	}
}

// benchLevel is one store configuration in the matrix.
type benchLevel struct {
	name string
	dur  hurrah.Durability
}

var benchLevels = []benchLevel{
	{"memory", hurrah.MemoryOnly},
	{"buffered", hurrah.Buffered},
	{"written", hurrah.Written},
	{"synced", hurrah.Synced},
}

// openBench opens a store at d, in a temporary directory unless d is
// MemoryOnly, preloads it with every key through load, and closes it when b
// ends. A persistent store is preloaded at Written and reopened at d, so a
// Synced store is not filled one fsync at a time.
func openBench(b *testing.B, d hurrah.Durability, load func(db *hurrah.DB, i int) error) *hurrah.DB {
	b.Helper()
	dir := ""
	if d != hurrah.MemoryOnly {
		dir = b.TempDir()
	}
	preload := func(d hurrah.Durability) *hurrah.DB {
		db, err := hurrah.Open(dir, &hurrah.Options{Durability: d})
		if err != nil {
			b.Fatal(err)
		}
		for i := range benchKeys {
			if err := load(db, i); err != nil {
				db.Close()
				b.Fatal(err)
			}
		}
		return db
	}
	var db *hurrah.DB
	if d == hurrah.MemoryOnly {
		db = preload(d)
	} else {
		if err := preload(hurrah.Written).Close(); err != nil {
			b.Fatal(err)
		}
		var err error
		if db, err = hurrah.Open(dir, &hurrah.Options{Durability: d}); err != nil {
			b.Fatal(err)
		}
		// Part of it may come back from an automatic snapshot.
		if n, err := db.Len(context.Background()); err != nil || n != benchKeys {
			db.Close()
			b.Fatalf("reopen holds %d keys (%v), want %d", n, err, benchKeys)
		}
	}
	b.Cleanup(func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	})
	return db
}

func loadBytes(db *hurrah.DB, i int) error {
	return db.SetBytes(context.Background(), benchKey(i), benchValue(i))
}

func loadTypedBytes(db *hurrah.DB, i int) error {
	return hurrah.Set(context.Background(), db, benchKey(i), benchValue(i))
}

func loadTypedStruct(db *hurrah.DB, i int) error {
	return hurrah.Set(context.Background(), db, benchKey(i), newBenchStruct(i))
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	keys := benchKeySet()
	getBytes := func(db *hurrah.DB) func(*rand.Rand) error {
		return func(rng *rand.Rand) error {
			v, err := db.GetBytes(ctx, keys[rng.IntN(benchKeys)])
			if err == nil && len(v) != benchValueLen {
				err = fmt.Errorf("got %d bytes, want %d", len(v), benchValueLen)
			}
			return err
		}
	}
	for _, lv := range benchLevels {
		b.Run(lv.name, func(b *testing.B) {
			db := openBench(b, lv.dur, loadBytes)
			for _, g := range benchGoroutines {
				b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) { runG(b, g, getBytes(db)) })
			}
		})
	}
	// Typed reads at one level, to show the CBOR decoding cost.
	b.Run("memory-typed-bytes", func(b *testing.B) {
		db := openBench(b, hurrah.MemoryOnly, loadTypedBytes)
		for _, g := range benchGoroutines {
			b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
				runG(b, g, func(rng *rand.Rand) error {
					v, err := hurrah.Get[[]byte](ctx, db, keys[rng.IntN(benchKeys)])
					if err == nil && len(v) != benchValueLen {
						err = fmt.Errorf("got %d bytes, want %d", len(v), benchValueLen)
					}
					return err
				})
			})
		}
	})
	b.Run("memory-typed-struct", func(b *testing.B) {
		db := openBench(b, hurrah.MemoryOnly, loadTypedStruct)
		for _, g := range benchGoroutines {
			b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
				runG(b, g, func(rng *rand.Rand) error {
					i := rng.IntN(benchKeys)
					v, err := hurrah.Get[benchStruct](ctx, db, keys[i])
					if err == nil && v.ID != uint64(i) {
						err = fmt.Errorf("got ID %d, want %d", v.ID, i)
					}
					return err
				})
			})
		}
	})
}

func BenchmarkSet(b *testing.B) {
	ctx := context.Background()
	keys := benchKeySet()
	value := benchValue(7)
	for _, lv := range benchLevels {
		b.Run(lv.name, func(b *testing.B) {
			db := openBench(b, lv.dur, loadBytes)
			for _, g := range benchGoroutines {
				b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
					runG(b, g, func(rng *rand.Rand) error {
						return db.SetBytes(ctx, keys[rng.IntN(benchKeys)], value)
					})
				})
			}
		})
	}
	// Typed writes at one level, to show the CBOR encoding cost.
	b.Run("memory-typed-bytes", func(b *testing.B) {
		db := openBench(b, hurrah.MemoryOnly, loadTypedBytes)
		for _, g := range benchGoroutines {
			b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
				runG(b, g, func(rng *rand.Rand) error {
					return hurrah.Set(ctx, db, keys[rng.IntN(benchKeys)], value)
				})
			})
		}
	})
	b.Run("memory-typed-struct", func(b *testing.B) {
		db := openBench(b, hurrah.MemoryOnly, loadTypedStruct)
		v := newBenchStruct(7)
		for _, g := range benchGoroutines {
			b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
				runG(b, g, func(rng *rand.Rand) error {
					return hurrah.Set(ctx, db, keys[rng.IntN(benchKeys)], v)
				})
			})
		}
	})
}

// bareReq is a request to the bare owner loop, pooled with its reply channel.
type bareReq struct {
	key   string
	value []byte
	found bool
	reply chan struct{}
}

// BenchmarkBareOwnerLoop is the floor of the owner-goroutine design: one
// goroutine that owns a map and answers lookups sent over a channel, with a
// pooled, buffered reply channel per request. No batching, journal, context,
// validation or copying.
func BenchmarkBareOwnerLoop(b *testing.B) {
	keys := benchKeySet()
	m := make(map[string][]byte, benchKeys)
	for i, k := range keys {
		m[k] = benchValue(i)
	}
	mailbox := make(chan *bareReq, hurrah.DefaultMailboxSize)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for r := range mailbox {
			r.value, r.found = m[r.key]
			r.reply <- struct{}{}
		}
	}()
	defer func() {
		close(mailbox)
		<-stopped
	}()
	pool := sync.Pool{New: func() any { return &bareReq{reply: make(chan struct{}, 1)} }}
	for _, g := range benchGoroutines {
		b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
			runG(b, g, func(rng *rand.Rand) error {
				r := pool.Get().(*bareReq)
				r.key = keys[rng.IntN(benchKeys)]
				mailbox <- r
				<-r.reply
				n, found := len(r.value), r.found
				r.key, r.value = "", nil
				pool.Put(r)
				if !found || n != benchValueLen {
					return fmt.Errorf("lookup: found %v, %d bytes", found, n)
				}
				return nil
			})
		})
	}
}

// BenchmarkRWMutexMapGet is the usual alternative: a map behind a
// sync.RWMutex, read in the caller's goroutine, without copying.
func BenchmarkRWMutexMapGet(b *testing.B) {
	keys := benchKeySet()
	var mu sync.RWMutex
	m := make(map[string][]byte, benchKeys)
	for i, k := range keys {
		m[k] = benchValue(i)
	}
	for _, g := range benchGoroutines {
		b.Run(fmt.Sprintf("g=%d", g), func(b *testing.B) {
			runG(b, g, func(rng *rand.Rand) error {
				mu.RLock()
				v, found := m[keys[rng.IntN(benchKeys)]]
				mu.RUnlock()
				if !found || len(v) != benchValueLen {
					return fmt.Errorf("lookup: found %v, %d bytes", found, len(v))
				}
				return nil
			})
		})
	}
}
