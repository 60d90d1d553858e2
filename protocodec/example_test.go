package protocodec_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/protocodec"
	"google.golang.org/protobuf/types/known/structpb"
)

// Store a protobuf message and read it back; other values share the store.
func Example() {
	ctx := context.Background()
	db, err := hurrah.Open("", &hurrah.Options{Codec: protocodec.Codec{}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	msg, err := structpb.NewStruct(map[string]any{"name": "ada", "langs": []any{"go", "c"}})
	if err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "user", msg); err != nil {
		log.Fatal(err)
	}
	if err := hurrah.Set(ctx, db, "visits", 3); err != nil { // not a message: CBOR
		log.Fatal(err)
	}

	got, err := hurrah.Get[*structpb.Struct](ctx, db, "user")
	if err != nil {
		log.Fatal(err)
	}
	visits, err := hurrah.Get[int](ctx, db, "visits")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Fields["name"].GetStringValue(), got.Fields["langs"].GetListValue().AsSlice(), visits)
	// Output:
	// ada [go c] 3
}
