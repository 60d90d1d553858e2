package hurrah_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"strings"

	"github.com/hurrahdb/hurrah"
)

// Store typed values as JSON: the bytes GetBytes returns (and the journal
// keeps) are plain JSON text, and Get reads them back.
func ExampleJSONCodec() {
	ctx := context.Background()
	db, err := hurrah.Open("", &hurrah.Options{Codec: hurrah.JSONCodec{}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	type point struct{ X, Y int }
	if err := hurrah.Set(ctx, db, "p", point{1, 2}); err != nil {
		log.Fatal(err)
	}
	raw, err := db.GetBytes(ctx, "p")
	if err != nil {
		log.Fatal(err)
	}
	p, err := hurrah.Get[point](ctx, db, "p")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(raw), p.X+p.Y)

	// JSON has no NaN: the codec refuses it rather than store something else.
	fmt.Println(errors.Is(hurrah.Set(ctx, db, "nan", math.NaN()), hurrah.ErrEncode))
	// Output:
	// {"X":1,"Y":2} 3
	// true
}

// upperCodec is a codec of one's own: it stores strings in upper case and
// refuses anything else.
type upperCodec struct{}

func (upperCodec) Name() string { return "upper" }

func (upperCodec) Marshal(v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%T is not a string", v)
	}
	return []byte(strings.ToUpper(s)), nil
}

func (upperCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*string)
	if !ok {
		return fmt.Errorf("cannot read into %T", v)
	}
	*p = string(data)
	return nil
}

// A store can use any Codec; the typed calls go through it, the byte calls
// do not.
func ExampleCodec() {
	ctx := context.Background()
	db, err := hurrah.Open("", &hurrah.Options{Codec: upperCodec{}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := hurrah.Set(ctx, db, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	s, err := hurrah.Get[string](ctx, db, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)
	fmt.Println(hurrah.Set(ctx, db, "n", 42))
	// Output:
	// HELLO
	// hurrah: cannot encode value: key "n": int as upper: int is not a string
}

// Bytes stored with SetBytes are not an encoded value: Get fails with a
// *DecodeError that says so, and GetBytes reads them.
func ExampleDecodeError() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.SetBytes(ctx, "raw", []byte("hello")); err != nil {
		log.Fatal(err)
	}
	_, err = hurrah.Get[[]byte](ctx, db, "raw")
	var de *hurrah.DecodeError
	if errors.As(err, &de) {
		fmt.Println(errors.Is(err, hurrah.ErrDecode), de.Key, de.Codec, de.Type)
		fmt.Println(err)
	}
	raw, _ := db.GetBytes(ctx, "raw")
	fmt.Println(string(raw))
	// Output:
	// true raw CBOR []byte
	// hurrah: cannot decode value: key "raw": CBOR into []byte: unexpected EOF (if the value was stored with SetBytes, read it with GetBytes)
	// hello
}

// CBORCodec is the default: Set stores what its Marshal returns, and it
// refuses protobuf messages (see Codec) instead of storing what Get cannot
// read.
func ExampleCBORCodec() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // the same as &hurrah.Options{Codec: hurrah.CBORCodec{}}
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := hurrah.Set(ctx, db, "n", 500); err != nil {
		log.Fatal(err)
	}
	raw, _ := db.GetBytes(ctx, "n")
	enc, _ := hurrah.CBORCodec{}.Marshal(500)
	fmt.Printf("% x %v\n", raw, bytes.Equal(raw, enc))
	// Output:
	// 19 01 f4 true
}

// A batch for a store with another codec than CBOR names that codec too.
func ExampleBatch_codec() {
	ctx := context.Background()
	db, err := hurrah.Open("", &hurrah.Options{Codec: hurrah.JSONCodec{}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	var wrong hurrah.Batch // encodes as CBOR
	_ = hurrah.BatchSet(&wrong, "a", 1)
	fmt.Println(errors.Is(db.Write(ctx, &wrong), hurrah.ErrInvalidBatch))

	b := hurrah.Batch{Codec: hurrah.JSONCodec{}}
	_ = hurrah.BatchSet(&b, "a", []int{1, 2})
	_ = hurrah.BatchSet(&b, "b", "two")
	if err := db.Write(ctx, &b); err != nil {
		log.Fatal(err)
	}
	a, _ := db.GetBytes(ctx, "a")
	fmt.Println(string(a))
	// Output:
	// true
	// [1,2]
}
