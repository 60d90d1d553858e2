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

// Back up an open store while it goes on serving writes: the backup holds
// the state at one LSN, and a write made after it is not in it.
func ExampleDB_Backup() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(filepath.Join(dir, "live"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := hurrah.Set(ctx, db, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	var backup bytes.Buffer // a file, in real life
	lsn, err := db.Backup(ctx, &backup)
	if err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "later", "not in the backup"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("backup at LSN", lsn)

	copyDir := filepath.Join(dir, "copy")
	if _, err := hurrah.Restore(ctx, copyDir, &backup, nil); err != nil {
		log.Fatal(err)
	}
	restored, err := hurrah.Open(copyDir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer restored.Close()
	g, err := hurrah.Get[string](ctx, restored, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	has, err := restored.Has(ctx, "later")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g, has)
	// Output:
	// backup at LSN 1
	// hello false
}

// Restore a backup file into a new directory, and what Restore refuses: a
// directory that holds a store already, and a damaged backup.
func ExampleRestore() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// A backup of a closed store, as `hurrah backup DIR FILE` writes it.
	src := filepath.Join(dir, "src")
	db, err := hurrah.Open(src, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if err := db.SetBytes(ctx, k, []byte(k+k)); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
	var backup bytes.Buffer
	if _, err := hurrah.BackupDir(ctx, src, &backup, nil, nil); err != nil {
		log.Fatal(err)
	}

	rep, err := hurrah.Restore(ctx, filepath.Join(dir, "dst"), bytes.NewReader(backup.Bytes()), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("restored %d keys at LSN %d\n", rep.Records, rep.LSN)

	_, err = hurrah.Restore(ctx, src, bytes.NewReader(backup.Bytes()), nil)
	fmt.Println(errors.Is(err, hurrah.ErrStoreExists))
	damaged := bytes.Clone(backup.Bytes())
	damaged[len(damaged)/2] ^= 1
	_, err = hurrah.Restore(ctx, filepath.Join(dir, "other"), bytes.NewReader(damaged), nil)
	fmt.Println(errors.Is(err, hurrah.ErrCorrupt))
	// Output:
	// restored 3 keys at LSN 3
	// true
	// true
}

// Back up a store no program has open to a file, with a progress callback
// (`hurrah backup DIR FILE` draws its bar from it).
func ExampleBackupDir() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store := filepath.Join(dir, "store")
	db, err := hurrah.Open(store, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := db.SetBytes(ctx, "k", []byte("v")); err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	f, err := os.Create(filepath.Join(dir, "store.hbak"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var last hurrah.BackupProgress
	lsn, err := hurrah.BackupDir(ctx, store, f, nil, func(p hurrah.BackupProgress) { last = p })
	if err != nil {
		log.Fatal(err)
	}
	if err := f.Sync(); err != nil { // BackupDir leaves syncing the file to its caller
		log.Fatal(err)
	}
	fmt.Printf("LSN %d, %d of %d keys\n", lsn, last.Records, last.Total)

	_, err = hurrah.BackupDir(ctx, filepath.Join(dir, "nothing"), f, nil, nil)
	fmt.Println(errors.Is(err, hurrah.ErrNoStore))
	// Output:
	// LSN 1, 1 of 1 keys
	// true
}

// Take a View at one moment and write it as a backup later, while writers
// go on: the backup holds the View's state, at the LSN the caller names.
func ExampleView_Backup() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := db.SetBytes(ctx, "k", []byte("v1")); err != nil {
		log.Fatal(err)
	}
	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	if err := db.SetBytes(ctx, "k", []byte("v2")); err != nil {
		log.Fatal(err)
	}
	var backup bytes.Buffer
	if err := v.Backup(ctx, &backup, 7); err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rep, err := hurrah.Restore(ctx, dir, &backup, nil)
	if err != nil {
		log.Fatal(err)
	}
	restored, err := hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer restored.Close()
	b, err := restored.GetBytes(ctx, "k")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.LSN, string(b))
	// Output: 7 v1
}

// Open a backup straight into a memory-only store, with no directory.
func ExampleOpenBackup() {
	ctx := context.Background()
	src, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	if err := hurrah.Set(ctx, src, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	var backup bytes.Buffer
	if _, err := src.Backup(ctx, &backup); err != nil {
		log.Fatal(err)
	}
	db, _, err := hurrah.OpenBackup(ctx, &backup, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	g, err := hurrah.Get[string](ctx, db, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g, db.Durability())
	// Output: hello memory-only
}
