package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/hurrahdb/hurrah"
)

type exampleUser struct {
	Name  string
	Email string
}

// Open a store in a directory, store a typed value, and read it back after
// the store was closed and opened again.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(dir, nil) // Written durability by default
	if err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "user:ada", exampleUser{Name: "Ada", Email: "ada@example.org"}); err != nil {
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}

	db, err = hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	u, err := hurrah.Get[exampleUser](ctx, db, "user:ada")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", u)
	fmt.Println("records replayed:", db.Recovery().Records)
	// Output:
	// {Name:Ada Email:ada@example.org}
	// records replayed: 1
}

// Without a directory the store lives in memory only.
func Example_memoryOnly() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	_ = hurrah.Set(ctx, db, "visits", 41)
	_ = hurrah.Set(ctx, db, "visits", 42)
	_ = db.SetBytes(ctx, "raw", []byte{0xca, 0xfe})
	n, _ := hurrah.Get[int](ctx, db, "visits")
	raw, _ := db.GetBytes(ctx, "raw")
	count, _ := db.Len(ctx)
	fmt.Println(db.Durability(), n, fmt.Sprintf("%x", raw), count)
	// Output:
	// memory-only 42 cafe 2
}

// Sync waits until every write acknowledged before it is on stable storage,
// whatever the durability level.
func ExampleDB_Sync() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Buffered})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for i := range 3 {
		if err := hurrah.Set(ctx, db, fmt.Sprint("order:", i), i*10); err != nil {
			log.Fatal(err)
		}
	}
	if err := db.Sync(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("three orders on stable storage")
	// Output:
	// three orders on stable storage
}

// A missing key is ErrNotFound; check it with errors.Is.
func ExampleGet_notFound() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	_, err = hurrah.Get[string](ctx, db, "nobody")
	fmt.Println(errors.Is(err, hurrah.ErrNotFound))
	fmt.Println(err)
	// Output:
	// true
	// hurrah: key not found: "nobody"
}
