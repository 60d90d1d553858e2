package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/hurrahdb/hurrah"
)

// User is an ordinary Go struct: anything CBOR can encode can be stored.
type User struct {
	Name  string
	Email string
	Tags  []string
}

// Each example is a whole program to copy from, so the lines that pick a
// directory and open the store are repeated across examples on purpose.
func main() {
	dir := flag.String("dir", "", "store directory (default: a new temporary one)")
	flag.Parse()
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "hurrah-quickstart-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	ctx := context.Background()

	// First run: open, write, close.
	db, err := hurrah.Open(*dir, nil) // default durability: Written
	if err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "user:ada", User{Name: "Ada", Email: "ada@example.org", Tags: []string{"admin"}}); err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "visits", 41); err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "visits", 42); err != nil { // replaces 41
		log.Fatal(err)
	}
	if err := db.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote 2 keys and closed the store")

	// Second run: open again; the journal is replayed.
	db, err = hurrah.Open(*dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	rec := db.Recovery()
	fmt.Printf("reopened: replayed %d records from %d segment(s)\n", rec.Records, rec.Segments)

	u, err := hurrah.Get[User](ctx, db, "user:ada")
	if err != nil {
		log.Fatal(err)
	}
	visits, err := hurrah.Get[int](ctx, db, "visits")
	if err != nil {
		log.Fatal(err)
	}
	n, err := db.Len(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("user:ada = %+v\n", u)
	fmt.Printf("visits = %d\n", visits)
	fmt.Printf("keys = %d\n", n)
}
