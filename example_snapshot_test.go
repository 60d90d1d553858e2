package hurrah_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// Snapshot saves an image of the whole store and removes the journal it
// covers, so that the next Open restores the image and replays only what
// came after it. The store also snapshots on its own as the journal grows
// (Options.SnapshotThreshold).
func ExampleDB_Snapshot() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 100 {
		if err := hurrah.Set(ctx, db, fmt.Sprint("key:", i), i); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.Snapshot(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("snapshot at LSN", db.Stats().LastSnapshotLSN)
	_ = hurrah.Set(ctx, db, "key:100", 100)
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	r := db.Recovery()
	fmt.Println("restored", filepath.Base(r.Snapshot), "with", r.SnapshotKeys, "keys")
	fmt.Println("then replayed", r.Records, "record(s)")
	n, _ := db.Len(ctx)
	fmt.Println("keys:", n)
	// Output:
	// snapshot at LSN 100
	// restored snap-00000000000000000100.hsnap with 100 keys
	// then replayed 1 record(s)
	// keys: 101
}
