package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/hurrahdb/hurrah"
)

// heapAlloc returns HeapAlloc after a full GC.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// perEntry is the growth of the heap from before to after, per entry.
func perEntry(before, after uint64, n int) float64 {
	return (float64(after) - float64(before)) / float64(n)
}

// runHeap measures the heap bytes per entry of a plain map, hurrah in
// memory and hurrah at Written after a reopen, each holding cfg.heapKeys
// entries. Keys are made afresh for each store, so no two share them.
func runHeap(cfg *config, emit func(figure)) error {
	n := cfg.heapKeys

	before := heapAlloc()
	m := make(map[string][]byte)
	for i := range n {
		m[key(i)] = value(i)
	}
	plain := perEntry(before, heapAlloc(), n)
	runtime.KeepAlive(m)
	if len(m) != n {
		return fmt.Errorf("plain map holds %d entries", len(m))
	}
	m = nil

	before = heapAlloc()
	db, err := hurrah.Open("", nil)
	if err != nil {
		return err
	}
	if err := fill(newHurrahStore(db), n, 1000, 0); err != nil {
		db.Close()
		return err
	}
	mem := perEntry(before, heapAlloc(), n)
	runtime.KeepAlive(db)
	if err := db.Close(); err != nil {
		return err
	}

	dir, err := os.MkdirTemp(cfg.tmp, "heap-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	err = withHurrah(dir, &hurrah.Options{Durability: hurrah.Written}, func(db *hurrah.DB) error {
		return fill(newHurrahStore(db), n, 1000, 0)
	})
	if err != nil {
		return err
	}
	db = nil
	before = heapAlloc()
	db, err = hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Written})
	if err != nil {
		return err
	}
	written := perEntry(before, heapAlloc(), n)
	runtime.KeepAlive(db)
	if got, err := db.Len(bg); err != nil || got != n {
		db.Close()
		return fmt.Errorf("hurrah written after reopen: %d keys (%v), want %d", got, err, n)
	}
	if err := db.Close(); err != nil {
		return err
	}

	size := ""
	if n != 1_000_000 {
		size = fmt.Sprintf(" [%d entries]", n)
	}
	const target = "≤1.3× map (lower is better; ratio=hurrah÷peer)"
	for _, f := range []figure{
		{name: "heap/memory", hurrah: mem, note: "hurrah memory-only, loaded with Batch writes of 1000"},
		{name: "heap/written", hurrah: written, note: "hurrah Written, after a reopen (replayed from its journal)"},
	} {
		f.unit, f.lower = "B/entry", true
		f.peers = []entry{{"map", plain}}
		f.target = target + size
		f.met = yesNo(f.ratio("map") <= 1.3)
		emit(f)
	}
	return nil
}
