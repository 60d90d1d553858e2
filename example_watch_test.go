package hurrah_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hurrahdb/hurrah"
)

// Watch keeps a cache in step with the store: it reports every change in
// order, and a consumer that remembers the last LSN it handled resumes
// right after it, even after a restart.
func ExampleDB_Watch() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hurrah-watch")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := hurrah.Open(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	_ = hurrah.Set(ctx, db, "user/ada", "Ada Lovelace")
	_ = hurrah.Set(ctx, db, "note", "not a user")
	_ = hurrah.Set(ctx, db, "user/bob", "Bob")
	_, _ = db.Delete(ctx, "user/bob")

	cache := map[string]string{}
	var last uint64 // saved by the consumer: resume from last+1
	for c, err := range db.Watch(ctx, last+1, &hurrah.WatchOptions{Prefix: "user/"}) {
		if err != nil {
			log.Fatal(err)
		}
		switch c.Kind {
		case hurrah.ChangeSet:
			cache[c.Key], _ = hurrah.DecodeChange[string](db, c)
		case hurrah.ChangeDelete, hurrah.ChangeExpired:
			delete(cache, c.Key)
		case hurrah.ChangeClear:
			clear(cache)
		}
		fmt.Println(c.LSN, c.Kind, c.Key)
		if last = c.LSN; last == 4 {
			break // caught up: a real consumer would keep going
		}
	}
	fmt.Println(cache, "next:", last+1)
	// Output:
	// 1 set user/ada
	// 3 set user/bob
	// 4 delete user/bob
	// map[user/ada:Ada Lovelace] next: 5
}
