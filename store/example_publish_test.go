package store_test

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// ExampleEngine_Lookup reads without a round trip to the owner: once a
// read has come to the owner, it publishes an image of the state at the
// end of that turn, and Lookup answers from it until the next write.
func ExampleEngine_Lookup() {
	ctx := context.Background()
	e := store.NewKVEngine(store.NewKV(0))
	e.Start(nil, actor.Options{})
	defer e.Close()
	set := func(k, v string) {
		c := store.Command{Op: store.OpSet, Key: k, Value: []byte(v)}
		if _, err := e.Update(ctx, c, nil, store.AckApplied); err != nil {
			panic(err)
		}
	}
	set("colour", "blue")

	_, _, ok := e.Lookup("colour")
	fmt.Println("published before any read:", ok)

	// A read through the owner; the Sync after it is answered in the
	// next turn, so the turn that published is over.
	if _, err := e.Query(ctx, store.Query{Op: store.QueryGet, Key: "colour"}); err != nil {
		panic(err)
	}
	if err := e.Sync(ctx); err != nil {
		panic(err)
	}
	v, found, ok := e.Lookup("colour")
	fmt.Printf("lock-free: %v, %s found=%v\n", ok, v, found)

	set("colour", "green") // retires the image before it is applied
	_, _, ok = e.Lookup("colour")
	fmt.Println("after a write:", ok)

	// Output:
	// published before any read: false
	// lock-free: true, blue found=true
	// after a write: false
}

// ExampleEngine_LookupMany reads several keys from the published image,
// all as of one instant.
func ExampleEngine_LookupMany() {
	ctx := context.Background()
	e := store.NewKVEngine(store.NewKV(0))
	e.Start(nil, actor.Options{})
	defer e.Close()
	for _, k := range []string{"a", "b"} {
		c := store.Command{Op: store.OpSet, Key: k, Value: []byte("v" + k)}
		if _, err := e.Update(ctx, c, nil, store.AckApplied); err != nil {
			panic(err)
		}
	}
	if _, err := e.Query(ctx, store.Query{Op: store.QueryLen}); err != nil {
		panic(err)
	}
	if err := e.Sync(ctx); err != nil {
		panic(err)
	}
	ok := e.LookupMany([]string{"a", "b", "c"}, func(i int, v []byte, found bool) {
		fmt.Printf("%d: %q %v\n", i, v, found)
	})
	fmt.Println("lock-free:", ok)

	// Output:
	// 0: "va" true
	// 1: "vb" true
	// 2: "" false
	// lock-free: true
}

// ExampleEngine_PublishedView takes a View with no round trip to the
// owner: once a View from the owner has frozen the ordered index, and
// nothing has changed since, the published image holds the index too.
func ExampleEngine_PublishedView() {
	ctx := context.Background()
	kv := store.NewKV(0)
	e := store.NewKVEngine(kv)
	e.Start(nil, actor.Options{})
	defer e.Close()
	for _, k := range []string{"b", "a", "c"} {
		c := store.Command{Op: store.OpSet, Key: k, Value: []byte("v" + k)}
		if _, err := e.Update(ctx, c, nil, store.AckApplied); err != nil {
			panic(err)
		}
	}
	// A View from the owner (freeze and release in its turn), then a
	// Sync, answered in the next turn, once the publication is made.
	if err := e.Read(ctx, func() { _, release, _ := kv.Freeze(); release() }); err != nil {
		panic(err)
	}
	if err := e.Sync(ctx); err != nil {
		panic(err)
	}
	img, release, ok := e.PublishedView()
	fmt.Println("lock-free:", ok)
	for k, v := range img.Range("a", "c", false) {
		fmt.Printf("%s=%s\n", k, v)
	}
	release()

	// Output:
	// lock-free: true
	// a=va
	// b=vb
}
