package store_test

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// Example runs the key-value machine in an engine without a sink (nothing is
// kept), then rebuilds the same state in a second engine by replaying
// journal entries, as a store does on open.
func Example() {
	ctx := context.Background()
	e := store.NewKVEngine(store.NewKV(0))
	e.Start(nil, actor.Options{})

	// Callers encode their commands; the engine journals the bytes as given.
	var journal []handoff.Entry
	apply := func(c store.Command) {
		data, err := store.EncodeCommand(c)
		if err != nil {
			panic(err)
		}
		if _, err := e.Update(ctx, c, data, store.AckApplied); err != nil {
			panic(err)
		}
		journal = append(journal, handoff.Entry{LSN: uint64(len(journal) + 1), Data: data})
	}
	apply(store.Command{Op: store.OpSet, Key: "greeting", Value: []byte("hello")})
	apply(store.Command{Op: store.OpBatch, Batch: []store.Mutation{
		{Op: store.OpSet, Key: "name", Value: []byte("hurrah")},
		{Op: store.OpDelete, Key: "greeting"},
	}})

	r, _ := e.Query(ctx, store.Query{Op: store.QueryGet, Key: "name"})
	fmt.Printf("name=%s found=%v\n", r.Value, r.Found)
	r, _ = e.Query(ctx, store.Query{Op: store.QueryGet, Key: "greeting"})
	fmt.Printf("greeting found=%v\n", r.Found)
	if err := e.Close(); err != nil {
		panic(err)
	}

	again := store.NewKVEngine(store.NewKV(0))
	for _, en := range journal {
		if err := again.Replay(en); err != nil {
			panic(err)
		}
	}
	fmt.Println("replayed up to LSN", again.LastLSN())
	again.Start(nil, actor.Options{})
	defer again.Close()
	r, _ = again.Query(ctx, store.Query{Op: store.QueryLen})
	fmt.Println("keys:", r.N)

	// Output:
	// name=hurrah found=true
	// greeting found=false
	// replayed up to LSN 2
	// keys: 1
}
