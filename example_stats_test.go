package hurrah_test

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"fmt"

	"github.com/hurrahdb/hurrah"
)

// A store's statistics, read directly and through expvar (which
// net/http/pprof-style tooling reads at /debug/vars).
func ExamplePublishStats() {
	ctx := context.Background()
	db, err := hurrah.Open("", nil) // memory-only
	if err != nil {
		panic(err)
	}
	// A name is published once per process (a second time is an error,
	// ErrPublished, which this example meets below).
	if _, err := hurrah.PublishStats("example_store", db.Stats); err != nil && !errors.Is(err, hurrah.ErrPublished) {
		panic(err)
	}
	_ = db.SetBytes(ctx, "a", []byte("1"))
	_, _ = db.GetBytes(ctx, "a")
	_, _ = db.GetBytes(ctx, "b")
	_ = db.Close()

	st := db.Stats()
	fmt.Println("reads:", st.Reads, "writes:", st.Writes, "read-only:", st.ReadOnly)

	var vars map[string]any
	_ = json.Unmarshal([]byte(expvar.Get("example_store").String()), &vars)
	fmt.Println("expvar gets:", vars["gets"], "closed:", vars["closed"])

	_, err = hurrah.PublishStats("example_store", db.Stats)
	fmt.Println(err)
	// Output:
	// reads: 2 writes: 1 read-only: <nil>
	// expvar gets: 2 closed: true
	// hurrah: expvar name already published: "example_store"
}

// StatsVar gives the expvar.Var without publishing it, to put in a map of
// your own: here, one entry for each of a program's stores.
func ExampleStatsVar() {
	users, _ := hurrah.Open("", nil)
	carts, _ := hurrah.Open("", nil)
	stores := new(expvar.Map) // expvar.NewMap("stores") to publish it
	stores.Set("users", hurrah.StatsVar(users.Stats))
	stores.Set("carts", hurrah.StatsVar(carts.Stats))
	_ = users.SetBytes(context.Background(), "ann", []byte("1"))
	_ = users.Close()
	_ = carts.Close()

	var vars map[string]map[string]any
	_ = json.Unmarshal([]byte(stores.String()), &vars)
	fmt.Println("users sets:", vars["users"]["sets"], "carts sets:", vars["carts"]["sets"])
	// Output:
	// users sets: 1 carts sets: 0
}
