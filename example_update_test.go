package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// Update runs a read-modify-write transaction in the store's owner
// goroutine: nothing else happens in the store while it runs, and its
// writes are applied as one step, or not at all if it returns an error.
func ExampleDB_Update() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // memory-only; a directory works the same
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = hurrah.Set(ctx, db, "balance:ada", 100)
	_ = hurrah.Set(ctx, db, "balance:bob", 20)

	errFunds := errors.New("insufficient funds")
	transfer := func(from, to string, amount int) error {
		return db.Update(ctx, func(tx *hurrah.Tx) error {
			have, err := hurrah.TxGet[int](tx, from)
			if err != nil {
				return err
			}
			if have < amount {
				return errFunds // nothing written so far is applied
			}
			got, err := hurrah.TxGet[int](tx, to)
			if err != nil {
				return err
			}
			if err := hurrah.TxSet(tx, from, have-amount); err != nil {
				return err
			}
			return hurrah.TxSet(tx, to, got+amount)
		})
	}

	fmt.Println(transfer("balance:ada", "balance:bob", 30))
	fmt.Println(transfer("balance:bob", "balance:ada", 500))
	ada, _ := hurrah.Get[int](ctx, db, "balance:ada")
	bob, _ := hurrah.Get[int](ctx, db, "balance:bob")
	fmt.Println("ada:", ada, "bob:", bob)
	// Output:
	// <nil>
	// insufficient funds
	// ada: 70 bob: 50
}
