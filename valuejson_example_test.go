package hurrah_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// Show single values as an export would: JSON when JSON holds the stored
// bytes exactly, base64 otherwise.
func ExampleValueJSON() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // memory-only
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := hurrah.Set(ctx, db, "visits", map[string]int{"home": 3}); err != nil {
		log.Fatal(err)
	}
	if err := db.SetBytes(ctx, "avatar", []byte{0x89, 'P', 'N', 'G'}); err != nil {
		log.Fatal(err)
	}
	for _, key := range []string{"visits", "avatar"} {
		b, err := db.GetBytes(ctx, key)
		if err != nil {
			log.Fatal(err)
		}
		if js, ok := hurrah.ValueJSON(b); ok {
			fmt.Printf("%s: %s\n", key, js)
		} else {
			fmt.Printf("%s: not JSON, export writes it in base64\n", key)
		}
	}
	// Output:
	// visits: {"home":3}
	// avatar: not JSON, export writes it in base64
}
