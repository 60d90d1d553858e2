package hurrah_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
)

// exampleStore writes eight records, "k1" to "k8" with the values
// "value-1" to "value-8", to a new store in a temporary directory, closes
// it and returns the directory.
func exampleStore() string {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	db, err := hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		if err := db.SetBytes(context.Background(), fmt.Sprint("k", i), fmt.Appendf(nil, "value-%d", i)); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
	return dir
}

// Check reads a closed store and reports what it holds and what Repair
// would do, changing nothing. A store that opens has no Damage.
func ExampleCheck() {
	dir := exampleStore()
	defer os.RemoveAll(dir)

	rep, err := hurrah.Check(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("damage:", rep.Damage)
	fmt.Println("records:", rep.Entries, "up to LSN", rep.LastLSN, "in", rep.Segments, "segment(s)")
	// Output:
	// damage: <nil>
	// records: 8 up to LSN 8 in 1 segment(s)
}

// Open refuses a store whose journal was damaged where no crash explains it
// (a failing disk, a stray write) with ErrCorrupt. Check says what Repair
// would do; Repair cuts the journal before the damaged record, sets aside
// what follows (nothing is deleted), and the store opens with what came
// before it.
func ExampleRepair() {
	dir := exampleStore()
	defer os.RemoveAll(dir)
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil || len(segs) != 1 {
		log.Fatal(segs, err)
	}
	data, err := os.ReadFile(segs[0])
	if err != nil {
		log.Fatal(err)
	}
	data[bytes.Index(data, []byte("value-5"))] ^= 0x01 // the fifth record is damaged
	if err := os.WriteFile(segs[0], data, 0o600); err != nil {
		log.Fatal(err)
	}

	_, err = hurrah.Open(dir, nil)
	fmt.Println("open:", errors.Is(err, hurrah.ErrCorrupt))
	check, err := hurrah.Check(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("check: keeps up to LSN", check.LastLSN, "of", check.HighestLost)

	rep, err := hurrah.Repair(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("repair: kept up to LSN", rep.LastLSN, "set aside", len(rep.SetAside), "piece(s)")
	db, err := hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	n, _ := db.Len(context.Background())
	fmt.Println("keys after the repair:", n)
	// Output:
	// open: true
	// check: keeps up to LSN 4 of 8
	// repair: kept up to LSN 4 set aside 1 piece(s)
	// keys after the repair: 4
}
