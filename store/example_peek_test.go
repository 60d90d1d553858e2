package store_test

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// ExampleEngine_Peek shows an engine a run of journaled entries before
// they are replayed, as recovery does (journal.Options.Peek): the KV
// looks their keys up back to back, so that the inserts of the replay
// find them in the cache. Peek changes nothing; Replay applies.
func ExampleEngine_Peek() {
	e := store.NewKVEngine(store.NewKV(0))
	var run []handoff.Entry
	for i, k := range []string{"apple", "pear", "plum"} {
		data, _ := store.EncodeSet(k, []byte("ripe"))
		run = append(run, handoff.Entry{LSN: uint64(i + 1), Data: data})
	}

	e.Peek(run) // before Start, like Replay
	e.Start(nil, actor.Options{})
	n, _ := e.Query(context.Background(), store.Query{Op: store.QueryLen})
	fmt.Println("keys after Peek:", n.N)
	e.Close()

	e = store.NewKVEngine(store.NewKV(0))
	e.Peek(run)
	for _, en := range run {
		if err := e.Replay(en); err != nil {
			panic(err)
		}
	}
	e.Start(nil, actor.Options{})
	defer e.Close()
	n, _ = e.Query(context.Background(), store.Query{Op: store.QueryLen})
	fmt.Println("keys after Peek and Replay:", n.N)

	// Output:
	// keys after Peek: 0
	// keys after Peek and Replay: 3
}
