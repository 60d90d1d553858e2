package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"testing"

	"github.com/hurrahdb/hurrah"
)

func ExampleDB_WriteReusing() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	var b hurrah.Batch // one batch, filled and written again and again
	for i := range 3 {
		b.SetBytes(fmt.Sprint("k", i), []byte(fmt.Sprint("v", i)))
		b.Delete("gone")
		if err := db.WriteReusing(&b); err != nil {
			log.Fatal(err)
		}
		fmt.Print(b.Len(), " ")
	}
	v, _ := db.GetBytes(ctx, "k1")
	n, _ := db.Len(ctx)
	fmt.Println(string(v), n)
	// Output:
	// 0 0 0 v1 3
}

// Refilling the batch after WriteReusing changes nothing the store holds:
// it kept the values, not the batch's list; and deadlines apply as with
// Write.
func TestWriteReusingKeepsNothingOfTheBatch(t *testing.T) {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b hurrah.Batch
	value := []byte("one")
	b.SetBytes("a", value)
	b.SetBytes("t", value, hurrah.TTL(1<<40))
	if err := db.WriteReusing(&b); err != nil {
		t.Fatal(err)
	}
	copy(value, "xxx")
	b.SetBytes("b", []byte("two"))
	b.Delete("t")
	if err := db.WriteReusing(&b); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range []string{"a", "b"} {
		v, err := db.GetBytes(ctx, k)
		if err != nil {
			t.Fatal(k, err)
		}
		got[k] = string(v)
	}
	if got["a"] != "one" || got["b"] != "two" {
		t.Fatalf("got %v, want a=one b=two", got)
	}
	if ok, _ := db.Has(ctx, "t"); ok {
		t.Fatal("t was deleted by the second batch")
	}
}

// A bad key fails the whole batch, changes nothing and still empties b;
// a nil batch and a closed store are refused with their typed errors.
func TestWriteReusingRefuses(t *testing.T) {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b hurrah.Batch
	b.SetBytes("ok", []byte("v"))
	b.SetBytes("", []byte("v"))
	if err := db.WriteReusing(&b); !errors.Is(err, hurrah.ErrInvalidKey) {
		t.Fatalf("empty key: %v, want ErrInvalidKey", err)
	}
	if b.Len() != 0 {
		t.Fatalf("the batch holds %d operations after WriteReusing", b.Len())
	}
	if ok, _ := db.Has(ctx, "ok"); ok {
		t.Fatal("a refused batch changed the store")
	}
	if err := db.WriteReusing(nil); !errors.Is(err, hurrah.ErrInvalidBatch) {
		t.Fatalf("nil batch: %v, want ErrInvalidBatch", err)
	}
	db.Close()
	b.SetBytes("k", []byte("v"))
	if err := db.WriteReusing(&b); !errors.Is(err, hurrah.ErrClosed) {
		t.Fatalf("closed store: %v, want ErrClosed", err)
	}
	// On a closed store ErrClosed wins over a bad argument, as for Write
	// (before, a nil batch returned ErrInvalidBatch there).
	if err := db.WriteReusing(nil); !errors.Is(err, hurrah.ErrClosed) {
		t.Fatalf("nil batch, closed store: %v, want ErrClosed", err)
	}
}
