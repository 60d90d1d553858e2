package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/hurrahdb/hurrah"
)

// A key set with a TTL is gone once it passes; a deadline in the past
// expires a key at once.
func ExampleTTL() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := hurrah.Set(ctx, db, "session:ada", "user 1", hurrah.TTL(time.Hour)); err != nil {
		log.Fatal(err)
	}
	at, err := db.ExpiresAt(ctx, "session:ada")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("expires in about an hour:", time.Until(at).Round(time.Minute))

	// An expired key is absent to every read, before the store removes it.
	if err := hurrah.Set(ctx, db, "session:eve", "user 3", hurrah.TTL(-time.Second)); err != nil {
		log.Fatal(err)
	}
	_, err = hurrah.Get[string](ctx, db, "session:eve")
	fmt.Println("expired key:", errors.Is(err, hurrah.ErrNotFound))
	n, _ := db.Len(ctx)
	fmt.Println("keys:", n)
	// Output:
	// expires in about an hour: 1h0m0s
	// expired key: true
	// keys: 1
}

// Deadline sets an absolute deadline, in a Batch as in a single set.
func ExampleDeadline() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	end := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	var b hurrah.Batch
	b.SetBytes("offer", []byte("20% off"), hurrah.Deadline(end))
	b.SetBytes("banner", []byte("hello"))
	if err := db.Write(ctx, &b); err != nil {
		log.Fatal(err)
	}
	at, _ := db.ExpiresAt(ctx, "offer")
	fmt.Println("offer expires:", at.UTC().Format(time.RFC3339))
	at, _ = db.ExpiresAt(ctx, "banner")
	fmt.Println("banner has a deadline:", !at.IsZero())
	// Output:
	// offer expires: 2100-01-01T00:00:00Z
	// banner has a deadline: false
}

// Expire gives an existing key a deadline; Persist drops it.
func ExampleDB_Expire() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.SetBytes(ctx, "lock", []byte("worker-7")); err != nil {
		log.Fatal(err)
	}
	ok, err := db.Expire(ctx, "lock", hurrah.TTL(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lock will expire:", ok)
	ok, _ = db.Expire(ctx, "missing", hurrah.TTL(time.Second))
	fmt.Println("a missing key:", ok)

	if _, err := db.Persist(ctx, "lock"); err != nil {
		log.Fatal(err)
	}
	at, _ := db.ExpiresAt(ctx, "lock")
	fmt.Println("deadline after Persist:", at.IsZero())
	// Output:
	// lock will expire: true
	// a missing key: false
	// deadline after Persist: true
}

// In a transaction, TxSet and Tx.SetBytes take the same options.
func ExampleTxSet_ttl() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	err = db.Update(ctx, func(tx *hurrah.Tx) error {
		n, err := hurrah.TxGet[int](tx, "visits")
		if err != nil && !errors.Is(err, hurrah.ErrNotFound) {
			return err
		}
		return hurrah.TxSet(tx, "visits", n+1, hurrah.TTL(24*time.Hour))
	})
	if err != nil {
		log.Fatal(err)
	}
	at, _ := db.ExpiresAt(ctx, "visits")
	fmt.Println("visits expire in:", time.Until(at).Round(time.Hour))
	// Output:
	// visits expire in: 24h0m0s
}

// ExpiresAt reads a key's deadline: the zero time for a key without one,
// ErrNotFound for a missing or expired key.
func ExampleDB_ExpiresAt() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	end := time.Date(2100, 6, 1, 12, 0, 0, 0, time.UTC)
	if err := db.SetBytes(ctx, "coupon", []byte("X1"), hurrah.Deadline(end)); err != nil {
		log.Fatal(err)
	}
	if err := db.SetBytes(ctx, "name", []byte("hurrah")); err != nil {
		log.Fatal(err)
	}
	at, _ := db.ExpiresAt(ctx, "coupon")
	fmt.Println(at.UTC().Format(time.DateTime))
	at, _ = db.ExpiresAt(ctx, "name")
	fmt.Println(at.IsZero())
	_, err = db.ExpiresAt(ctx, "missing")
	fmt.Println(errors.Is(err, hurrah.ErrNotFound))
	// Output:
	// 2100-06-01 12:00:00
	// true
	// true
}

// Persist keeps a key that was to expire.
func ExampleDB_Persist() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	if err := db.SetBytes(ctx, "draft", []byte("..."), hurrah.TTL(time.Minute)); err != nil {
		log.Fatal(err)
	}
	ok, err := db.Persist(ctx, "draft")
	if err != nil {
		log.Fatal(err)
	}
	at, _ := db.ExpiresAt(ctx, "draft")
	fmt.Println(ok, at.IsZero())
	// Output:
	// true true
}
