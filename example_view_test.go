package hurrah_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// View takes a point-in-time image of the whole store: writes made after
// it do not show in it, and reading it never holds up writers. Close it
// when done.
func ExampleDB_View() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = hurrah.Set(ctx, db, "greeting", "hello")

	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	_ = hurrah.Set(ctx, db, "greeting", "changed after the view")
	_ = hurrah.Set(ctx, db, "other", 1)

	s, err := hurrah.ViewGet[string](v, "greeting")
	fmt.Println(s, err, v.Len())
	now, _ := hurrah.Get[string](ctx, db, "greeting")
	fmt.Println(now)
	// Output:
	// hello <nil> 1
	// changed after the view
}

// Prefix yields the keys that start with a prefix, in no particular order:
// use it to scan, count or sum, where order does not matter.
func ExampleView_Prefix() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for item, price := range map[string]int{"apple": 3, "pear": 4, "plum": 2} {
		_ = hurrah.Set(ctx, db, "price:"+item, price)
	}
	_ = hurrah.Set(ctx, db, "stock:apple", 10)

	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	total, n := 0, 0
	for _, raw := range v.Prefix("price:") {
		price, err := hurrah.Decode[int](raw) // values stored with Set are CBOR
		if err != nil {
			log.Fatal(err)
		}
		total += price
		n++
	}
	fmt.Println(n, "prices, total", total)
	// Output:
	// 3 prices, total 9
}

// Sorted yields the keys that start with a prefix in increasing byte
// order: use it where order matters, such as listing or paging.
func ExampleView_Sorted() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"carol", "ada", "bob"} {
		_ = db.SetBytes(ctx, "user:"+name, []byte(name+"@example.org"))
	}
	_ = db.SetBytes(ctx, "session:1", []byte("ada"))

	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	for key, value := range v.Sorted("user:") {
		fmt.Printf("%s = %s\n", key, value)
	}
	// Output:
	// user:ada = ada@example.org
	// user:bob = bob@example.org
	// user:carol = carol@example.org
}
