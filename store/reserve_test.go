package store_test

import (
	"runtime"
	"testing"

	"github.com/hurrahdb/hurrah/store"
)

// Reserve sizes an empty map only: on a store holding keys it must keep
// every one of them.
func TestReserveKeepsWhatIsThere(t *testing.T) {
	kv := store.NewKV(0)
	kv.Reserve(1000)
	if _, _, err := kv.Apply(store.Command{Op: store.OpSet, Key: "a", Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	kv.Reserve(1 << 20)
	if v, ok := kv.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("after Reserve on a non-empty store: Get(a) = %q, %v; want 1, true", v, ok)
	}
}

// heapAfterGC returns the bytes in live heap objects.
func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// A map Reserve sized for a million keys that a replay left holding one
// (a journal of overwrites) is given back by Fit: a Go map never shrinks.
// Not parallel: it measures the heap.
func TestFitGivesBackAnEstimateFarTooHigh(t *testing.T) {
	const n = 1 << 20 // about 48 MB of map for string keys and []byte values
	kv := store.NewKV(0)
	kv.Reserve(n)
	if _, _, err := kv.Apply(store.Command{Op: store.OpSet, Key: "a", Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	before := heapAfterGC()
	kv.Fit(n)
	after := heapAfterGC()
	if v, ok := kv.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("after Fit: Get(a) = %q, %v; want 1, true", v, ok)
	}
	if after+n*16 > before {
		t.Fatalf("heap %d MB before Fit, %d MB after: the reserved room was kept", before>>20, after>>20)
	}
}

// Fit keeps a map that filled most of what was reserved.
func TestFitKeepsAFullMap(t *testing.T) {
	kv := store.NewKV(0)
	kv.Reserve(8)
	for _, k := range []string{"a", "b", "c"} {
		if _, _, err := kv.Apply(store.Command{Op: store.OpSet, Key: k, Value: []byte(k)}); err != nil {
			t.Fatal(err)
		}
	}
	kv.Fit(8)
	for _, k := range []string{"a", "b", "c"} {
		if v, ok := kv.Get(k); !ok || string(v) != k {
			t.Fatalf("after Fit: Get(%s) = %q, %v", k, v, ok)
		}
	}
}
