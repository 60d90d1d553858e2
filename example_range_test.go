package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hurrahdb/hurrah"
)

// openEvents returns a memory-only store holding five events keyed by
// time, and one other key.
func openEvents(ctx context.Context) *hurrah.DB {
	db, err := hurrah.Open("", nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range []string{"09:00", "09:30", "10:00", "10:30", "11:00"} {
		_ = db.SetBytes(ctx, "event:"+t, []byte("at "+t))
	}
	_ = db.SetBytes(ctx, "user:ada", []byte("ada"))
	return db
}

// Range reads the keys of a range in order, from a start key up to an end
// key (excluded), forward or back, with a limit: here the two latest
// events before 10:45.
func ExampleView_Range() {
	ctx := context.Background()
	db := openEvents(ctx)
	defer db.Close()

	v, err := db.View(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	events, err := v.Range("event:", "event:10:45", &hurrah.RangeOptions{Reverse: true, Limit: 2})
	if err != nil {
		log.Fatal(err)
	}
	for key, value := range events {
		fmt.Printf("%s = %s\n", key, value)
	}
	// A start after the end is an error, not an empty range.
	_, err = v.Range("b", "a", nil)
	fmt.Println(errors.Is(err, hurrah.ErrInvalidRange))
	// Output:
	// event:10:30 = at 10:30
	// event:10:00 = at 10:00
	// true
}

// DeletePrefix deletes every key under a prefix as one atomic, journaled
// step, and says how many it deleted.
func ExampleDB_DeletePrefix() {
	ctx := context.Background()
	db := openEvents(ctx)
	defer db.Close()

	n, err := db.DeletePrefix(ctx, "event:")
	if err != nil {
		log.Fatal(err)
	}
	left, _ := db.Keys(ctx)
	fmt.Println(n, "deleted;", left, "left")
	// Output:
	// 5 deleted; [user:ada] left
}

// DeleteRange deletes the keys from a start key up to an end key
// (excluded): here the events before 10:00.
func ExampleDB_DeleteRange() {
	ctx := context.Background()
	db := openEvents(ctx)
	defer db.Close()

	n, err := db.DeleteRange(ctx, "event:", "event:10:00")
	if err != nil {
		log.Fatal(err)
	}
	v, _ := db.View(ctx)
	defer v.Close()
	fmt.Println(n, "deleted")
	for key := range v.Sorted("event:") {
		fmt.Println(key)
	}
	// Output:
	// 2 deleted
	// event:10:00
	// event:10:30
	// event:11:00
}

// Inside a transaction, Range sees the transaction's own writes, and
// DeletePrefix deletes atomically with them: here the events are moved
// under a new prefix in one step.
func ExampleTx_Range() {
	ctx := context.Background()
	db := openEvents(ctx)
	defer db.Close()

	err := db.Update(ctx, func(tx *hurrah.Tx) error {
		events, err := tx.Range("event:", "event;", nil)
		if err != nil {
			return err
		}
		type kv struct {
			k string
			v []byte
		}
		var moved []kv
		for key, value := range events {
			moved = append(moved, kv{"archive:" + key[len("event:"):], value})
		}
		if _, err := tx.DeletePrefix("event:"); err != nil {
			return err
		}
		for _, m := range moved {
			if err := tx.SetBytes(m.k, m.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	v, _ := db.View(ctx)
	defer v.Close()
	all, _ := v.Range("", "", &hurrah.RangeOptions{Limit: 3})
	for key, value := range all {
		fmt.Printf("%s = %s\n", key, value)
	}
	// Output:
	// archive:09:00 = at 09:00
	// archive:09:30 = at 09:30
	// archive:10:00 = at 10:00
}

// Tx.DeleteRange deletes a range as the transaction sees it, atomically
// with the transaction's other writes: here the morning's events go, and
// a marker says so, in one step.
func ExampleTx_DeleteRange() {
	ctx := context.Background()
	db := openEvents(ctx)
	defer db.Close()

	var n int
	err := db.Update(ctx, func(tx *hurrah.Tx) error {
		var err error
		if n, err = tx.DeleteRange("event:", "event:12:00"); err != nil {
			return err
		}
		return tx.SetBytes("purged", []byte("morning"))
	})
	if err != nil {
		log.Fatal(err)
	}
	keys, _ := db.Keys(ctx)
	fmt.Println(n, "deleted;", len(keys), "keys left")
	// Output:
	// 5 deleted; 2 keys left
}
