package hurrah_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// Write applies a Batch of sets and deletes as one atomic step: readers see
// all of it or none of it, and a crash never leaves half of it applied.
func ExampleDB_Write() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = hurrah.Set(ctx, db, "cart:42", []string{"apple"})

	var b hurrah.Batch
	if err := hurrah.BatchSet(&b, "order:42", []string{"apple", "pear"}); err != nil {
		log.Fatal(err)
	}
	b.SetBytes("order:42:paid", []byte("yes"))
	b.Delete("cart:42")
	if err := db.Write(ctx, &b); err != nil {
		log.Fatal(err)
	}

	order, _ := hurrah.Get[[]string](ctx, db, "order:42")
	inCart, _ := db.Has(ctx, "cart:42")
	fmt.Println(b.Len(), "operations:", order, inCart)
	// Output:
	// 3 operations: [apple pear] false
}
