package apibench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// Benchmarks of DB.Export and DB.Import on 1M keys (16-byte keys), for the
// README's "Moving data in and out":
//
//	cd bench && go test -run '^$' -bench 'Export|Import' -benchtime 1x -count 5 -timeout 60m ./apibench
//
// Two kinds of value: "raw", 100 random-looking bytes stored with SetBytes
// (exported as base64), and "typed", a small struct stored with Set (about
// 90 bytes of CBOR, exported as JSON). Each reports keys/s, MB/s of JSON
// Lines, and allocations (B/op is per whole export or import);
// BenchmarkExportImportMemory measures what they retain. Export reads a
// memory-only store;
// Import writes into a new store on the real disk at the default
// durability (Written) and is timed with its Close, which makes it durable.

const exportKeys = 1_000_000

// typedValue is the "typed" value: a struct JSON renders exactly.
type typedValue struct {
	ID    uint64
	Name  string
	Score float64
	Tags  []string
}

func newTypedValue(i int) typedValue {
	return typedValue{ID: uint64(i), Name: benchKey(i), Score: float64(i) / 3, Tags: []string{"alpha", "beta", fmt.Sprint(i % 97)}}
}

// exportStore is a memory-only store of exportKeys keys of one kind, built
// once per kind and kept for the whole run.
var exportStores = map[string]func() *hurrah.DB{
	"raw":   sync.OnceValue(func() *hurrah.DB { return fillExportStore(false) }),
	"typed": sync.OnceValue(func() *hurrah.DB { return fillExportStore(true) }),
}

func fillExportStore(typed bool) *hurrah.DB {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		panic(err)
	}
	var b hurrah.Batch
	for i := range exportKeys {
		if typed {
			if err := hurrah.BatchSet(&b, benchKey(i), newTypedValue(i)); err != nil {
				panic(err)
			}
		} else {
			b.SetBytes(benchKey(i), benchValue(i))
		}
		if b.Len() == 10_000 {
			if err := db.Write(ctx, &b); err != nil {
				panic(err)
			}
			b.Reset()
		}
	}
	if err := db.Write(ctx, &b); err != nil {
		panic(err)
	}
	return db
}

// exportFile is the export of a kind's store, made once.
var exportFiles = map[string]func() []byte{
	"raw":   sync.OnceValue(func() []byte { return exportBytes(exportStores["raw"]()) }),
	"typed": sync.OnceValue(func() []byte { return exportBytes(exportStores["typed"]()) }),
}

func exportBytes(db *hurrah.DB) []byte {
	var buf bytes.Buffer
	if _, err := db.Export(context.Background(), &buf, nil); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// BenchmarkExport exports 1M keys to io.Discard, sorted by key (the
// default) and unsorted.
func BenchmarkExport(b *testing.B) {
	for _, kind := range []string{"raw", "typed"} {
		for _, unsorted := range []bool{false, true} {
			name := kind + "/sorted"
			if unsorted {
				name = kind + "/unsorted"
			}
			b.Run(name, func(b *testing.B) {
				db := exportStores[kind]()
				ctx := context.Background()
				b.ReportAllocs()
				var rep hurrah.ExportReport
				var took time.Duration
				for b.Loop() {
					t0 := time.Now()
					var err error
					rep, err = db.Export(ctx, io.Discard, &hurrah.ExportOptions{Unsorted: unsorted})
					took += time.Since(t0)
					if err != nil || rep.Keys != exportKeys {
						b.Fatalf("export: %d keys, %v", rep.Keys, err)
					}
				}
				b.ReportMetric(float64(exportKeys*b.N)/took.Seconds(), "keys/s")
				b.ReportMetric(float64(rep.Bytes*int64(b.N))/took.Seconds()/1e6, "MB/s")
			})
		}
	}
}

// BenchmarkImport imports the 1M-key export of each kind into a new store
// on disk, and, as "one-key", 1M lines that all set the same key, so that
// the store does not grow: Import's own cost.
func BenchmarkImport(b *testing.B) {
	for _, kind := range []string{"raw", "typed", "one-key"} {
		b.Run(kind, func(b *testing.B) {
			var input []byte
			if kind == "one-key" {
				line := `{"key":"k","value_base64":"` + strings.Repeat("AAEC", 34) + `"}` + "\n"
				input = bytes.Repeat([]byte(line), exportKeys)
			} else {
				input = exportFiles[kind]()
			}
			ctx := context.Background()
			b.ReportAllocs()
			var took time.Duration
			for b.Loop() {
				dir := b.TempDir()
				db, err := hurrah.Open(dir, nil)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				rep, err := db.Import(ctx, bytes.NewReader(input), nil)
				if cerr := db.Close(); err == nil {
					err = cerr
				}
				took += time.Since(t0)
				if err != nil || rep.Keys != exportKeys {
					b.Fatalf("import: %d keys, %v", rep.Keys, err)
				}
			}
			b.ReportMetric(float64(exportKeys*b.N)/took.Seconds(), "keys/s")
			b.ReportMetric(float64(len(input)*b.N)/took.Seconds()/1e6, "MB/s")
		})
	}
}

// BenchmarkExportImportMemory measures what Export and Import hold while
// they run, as retained-MB: the most the live heap (after a forced garbage
// collection, every 100 Progress calls) grew over what it was before the
// call. Export reads the 1M-key store of "raw" values; Import writes 1M
// lines that all set the same key into a memory-only store, so that the
// store does not grow and what is retained is Import's own. The forced
// collections make its times meaningless.
func BenchmarkExportImportMemory(b *testing.B) {
	ctx := context.Background()
	for _, unsorted := range []bool{false, true} {
		b.Run(fmt.Sprintf("export/unsorted=%v", unsorted), func(b *testing.B) {
			db := exportStores["raw"]()
			for b.Loop() {
				p := newRetainedProbe()
				if _, err := db.Export(ctx, io.Discard, &hurrah.ExportOptions{Unsorted: unsorted, Progress: p.progress}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(p.retainedMB(), "retained-MB")
			}
		})
	}
	b.Run("import/one-key", func(b *testing.B) {
		line := `{"key":"k","value_base64":"` + strings.Repeat("AAEC", 34) + `"}` + "\n"
		input := bytes.Repeat([]byte(line), exportKeys)
		for b.Loop() {
			db, err := hurrah.Open("", nil)
			if err != nil {
				b.Fatal(err)
			}
			p := newRetainedProbe()
			if _, err := db.Import(ctx, bytes.NewReader(input), &hurrah.ImportOptions{Progress: p.progress}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(p.retainedMB(), "retained-MB")
			db.Close()
		}
	})
}

// retainedProbe samples the live heap from a Progress callback.
type retainedProbe struct {
	base, peak uint64
	calls      int
}

func newRetainedProbe() *retainedProbe {
	return &retainedProbe{base: liveHeap()}
}

func (p *retainedProbe) progress(hurrah.Progress) {
	if p.calls++; p.calls%100 == 0 {
		p.peak = max(p.peak, liveHeap())
	}
}

func (p *retainedProbe) retainedMB() float64 {
	p.peak = max(p.peak, liveHeap())
	return float64(p.peak-min(p.base, p.peak)) / (1 << 20)
}

// liveHeap collects the garbage and returns the bytes in live objects.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
