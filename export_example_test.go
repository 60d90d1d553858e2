package hurrah_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hurrahdb/hurrah"
)

// Export a store as JSON Lines: typed values as JSON, raw bytes in base64,
// one line per key in key order.
func ExampleDB_Export() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // memory-only
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := hurrah.Set(ctx, db, "user:ada", exampleUser{Name: "Ada", Email: "ada@example.org"}); err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "visits", 42); err != nil {
		log.Fatal(err)
	}
	if err := db.SetBytes(ctx, "avatar", []byte{0x89, 'P', 'N', 'G'}); err != nil {
		log.Fatal(err)
	}

	rep, err := db.Export(ctx, os.Stdout, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d keys: %d as JSON, %d in base64\n", rep.Keys, rep.JSON, rep.Base64)
	// Output:
	// {"key":"avatar","value_base64":"iVBORw=="}
	// {"key":"user:ada","value":{"Name":"Ada","Email":"ada@example.org"}}
	// {"key":"visits","value":42}
	// 3 keys: 2 as JSON, 1 in base64
}

// Import JSON Lines into a store. A line Import refuses is named by its
// number; the batches before it are applied, and ImportOptions.Skip
// resumes after them once the input is fixed.
func ExampleDB_Import() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	input := `{"key":"user:ada","value":{"Name":"Ada","Email":"ada@example.org"}}
{"key":"visits","value":42}
{"key":"avatar","value_base64":"iVBORw=="}
`
	rep, err := db.Import(ctx, strings.NewReader(input), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("imported", rep.Keys, "keys in", rep.Batches, "batch")
	u, err := hurrah.Get[exampleUser](ctx, db, "user:ada")
	if err != nil {
		log.Fatal(err)
	}
	png, err := db.GetBytes(ctx, "avatar")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Name, bytes.HasPrefix(png, []byte{0x89, 'P'}))

	_, err = db.Import(ctx, strings.NewReader(`{"key":"visits","value":43,}`), nil)
	var ie *hurrah.ImportError
	if errors.As(err, &ie) && errors.Is(err, hurrah.ErrBadInput) {
		fmt.Println("refused line", ie.Line)
		fmt.Println(err)
	}
	// Output:
	// imported 3 keys in 1 batch
	// Ada true
	// refused line 1
	// hurrah: import: line 1: byte 28: a field's name should be here, a string
}
