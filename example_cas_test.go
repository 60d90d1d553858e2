package hurrah_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// CompareAndSwap stores a new value only if the key still holds the old
// one: an optimistic update that needs no transaction.
func ExampleCompareAndSwap() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = hurrah.Set(ctx, db, "state", "pending")

	swapped, err := hurrah.CompareAndSwap(ctx, db, "state", "pending", "running")
	fmt.Println(swapped, err)
	swapped, err = hurrah.CompareAndSwap(ctx, db, "state", "pending", "done") // it is running now
	fmt.Println(swapped, err)
	s, _ := hurrah.Get[string](ctx, db, "state")
	fmt.Println(s)
	// Output:
	// true <nil>
	// false <nil>
	// running
}

// SetIfAbsent stores a value only if the key is missing: the first caller
// wins, and later ones learn that the key was taken.
func ExampleSetIfAbsent() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	for _, owner := range []string{"ada", "bob"} {
		won, err := hurrah.SetIfAbsent(ctx, db, "lock:report", owner)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(owner, "took the lock:", won)
	}
	holder, _ := hurrah.Get[string](ctx, db, "lock:report")
	fmt.Println("held by", holder)
	// Output:
	// ada took the lock: true
	// bob took the lock: false
	// held by ada
}
