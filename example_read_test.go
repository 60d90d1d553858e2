package hurrah_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// GetBytesMany reads several keys at one moment in one request; Has, Len and
// Keys answer without copying values.
func ExampleDB_GetBytesMany() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // memory-only
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, k := range []string{"fruit:apple", "fruit:fig", "veg:leek"} {
		if err := db.SetBytes(ctx, k, []byte(k[len(k)-3:])); err != nil {
			log.Fatal(err)
		}
	}
	vals, err := db.GetBytesMany(ctx, []string{"fruit:fig", "fruit:kiwi", "veg:leek"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", vals) // a missing key is nil
	has, _ := db.Has(ctx, "fruit:kiwi")
	n, _ := db.Len(ctx)
	keys, _ := db.Keys(ctx) // in no particular order
	fmt.Println("kiwi:", has, "len:", n, "keys:", len(keys))
	// Output:
	// ["fig" "" "eek"]
	// kiwi: false len: 3 keys: 3
}

// Delete reports whether the key was there; Clear empties the store in one
// journaled step.
func ExampleDB_Delete() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = db.SetBytes(ctx, "a", []byte("1"))
	_ = db.SetBytes(ctx, "b", []byte("2"))
	gone, _ := db.Delete(ctx, "a")
	again, _ := db.Delete(ctx, "a")
	fmt.Println("deleted:", gone, "deleted again:", again)
	if err := db.Clear(ctx); err != nil {
		log.Fatal(err)
	}
	n, _ := db.Len(ctx)
	fmt.Println("after Clear:", n)
	// Output:
	// deleted: true deleted again: false
	// after Clear: 0
}

// Recovery says what Open found: here, a store reopened after a snapshot
// and one more write restores the snapshot and replays the record after it.
// PruneSnapshots keeps only the newest snapshots (the store keeps
// Options.KeepSnapshots of them on its own: 3 here).
func ExampleDB_Recovery() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(dir, &hurrah.Options{KeepSnapshots: 3})
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		_ = db.SetBytes(ctx, fmt.Sprint("k", i), []byte("v"))
		if err := db.Snapshot(ctx); err != nil {
			log.Fatal(err)
		}
	}
	_ = db.SetBytes(ctx, "k3", []byte("v"))
	removed, err := db.PruneSnapshots(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("snapshots pruned:", len(removed))
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	rec := db.Recovery()
	fmt.Println("snapshot:", filepath.Base(rec.Snapshot), "keys in it:", rec.SnapshotKeys,
		"records replayed:", rec.Records, "torn tail:", rec.TornTail != nil)
	// Output:
	// snapshots pruned: 2
	// snapshot: snap-00000000000000000003.hsnap keys in it: 3 records replayed: 1 torn tail: false
}

// All yields a View's keys and values in no particular order, at the
// moment the View was taken.
func ExampleView_All() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for i := range 4 {
		_ = db.SetBytes(ctx, fmt.Sprint("k", i), []byte{byte('a' + i)})
	}
	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	_ = db.SetBytes(ctx, "k9", []byte("z")) // after the View: not in it
	total := 0
	for _, val := range v.All() {
		total += int(val[0] - 'a')
	}
	got, _ := v.GetBytes("k2")
	fmt.Println("keys:", v.Len(), "sum:", total, "k2:", string(got))
	// Output:
	// keys: 4 sum: 6 k2: c
}
