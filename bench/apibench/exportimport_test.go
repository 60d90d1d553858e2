package apibench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// Benchmarks of DB.Export and DB.Import on 1M keys (16-byte keys), for the
// README's "Moving data in and out":
//
//	cd bench && go test -run '^$' -bench 'Export|Import' -benchtime 1x -count 3 -timeout 30m ./apibench
//
// Two kinds of value: "raw", 100 random-looking bytes stored with SetBytes
// (exported as base64), and "typed", a small struct stored with Set (about
// 90 bytes of CBOR, exported as JSON). Each reports keys/s, MB/s of JSON
// Lines, and peaklive-MB: the most the live heap (as the last garbage
// collection found it, runtime/metrics /gc/heap/live:bytes) grew over what
// it was before the call, sampled every millisecond, so garbage not yet
// collected does not count. Export reads a memory-only store;
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
				var peak uint64
				var rep hurrah.ExportReport
				var took time.Duration
				for b.Loop() {
					runtime.GC()
					h := startLiveSampler()
					t0 := time.Now()
					var err error
					rep, err = db.Export(ctx, io.Discard, &hurrah.ExportOptions{Unsorted: unsorted})
					took += time.Since(t0)
					peak = max(peak, h.Stop())
					if err != nil || rep.Keys != exportKeys {
						b.Fatalf("export: %d keys, %v", rep.Keys, err)
					}
				}
				b.ReportMetric(float64(exportKeys*b.N)/took.Seconds(), "keys/s")
				b.ReportMetric(float64(rep.Bytes*int64(b.N))/took.Seconds()/1e6, "MB/s")
				b.ReportMetric(float64(peak)/(1<<20), "peaklive-MB")
			})
		}
	}
}

// BenchmarkImport imports the 1M-key export of each kind into a new store
// on disk, and, as "one-key", 1M lines that all set the same key, whose
// peaklive-MB is Import's own memory, with nothing kept by the store.
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
			var peak uint64
			var took time.Duration
			for b.Loop() {
				dir := b.TempDir()
				runtime.GC()
				h := startLiveSampler()
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
				peak = max(peak, h.Stop())
				if err != nil || rep.Keys != exportKeys {
					b.Fatalf("import: %d keys, %v", rep.Keys, err)
				}
			}
			b.ReportMetric(float64(exportKeys*b.N)/took.Seconds(), "keys/s")
			b.ReportMetric(float64(len(input)*b.N)/took.Seconds()/1e6, "MB/s")
			b.ReportMetric(float64(peak)/(1<<20), "peaklive-MB")
		})
	}
}

// liveSampler samples the live heap every millisecond and keeps how much
// it grew at most over its first sample.
type liveSampler struct {
	stop chan struct{}
	done chan uint64
}

func startLiveSampler() *liveSampler {
	h := &liveSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	base := readMetrics(s)[0].Value.Uint64()
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, readMetrics(s)[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak - min(base, peak)
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop returns the most the live heap grew, in bytes.
func (h *liveSampler) Stop() uint64 {
	close(h.stop)
	return <-h.done
}
