package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// BenchmarkPublishedGet compares, on 100k keys with parallel readers, a
// read from the published image (Lookup), from a held View's image, and
// through the owner (Query). Run with -cpu 2 and compare within one run.
func BenchmarkPublishedGet(b *testing.B) {
	const n = 100_000
	kv := store.NewKV(n)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	defer e.Close()
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", i)
		if _, err := update(ctx, e, set(keys[i], "0123456789012345678901234567890123456789"), store.AckApplied); err != nil {
			b.Fatal(err)
		}
	}
	get := func(b *testing.B, read func(k string) bool) {
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i = (i + 7919) % n
				if !read(keys[i]) {
					b.Error("not found")
					return
				}
			}
		})
	}
	b.Run("lookup", func(b *testing.B) {
		if _, err := e.Query(ctx, store.Query{Op: store.QueryGet, Key: keys[0]}); err != nil {
			b.Fatal(err)
		}
		endTurnB(b, e)
		get(b, func(k string) bool {
			_, found, ok := e.Lookup(k)
			return ok && found
		})
	})
	b.Run("view", func(b *testing.B) {
		f, err := e.Freeze(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Release()
		im := f.Image.(store.KVImage)
		get(b, func(k string) bool {
			_, found := im.Get(k)
			return found
		})
	})
	b.Run("owner", func(b *testing.B) {
		get(b, func(k string) bool {
			r, err := e.Query(ctx, store.Query{Op: store.QueryGet, Key: k})
			return err == nil && r.Found
		})
	})
}

// endTurnB is endTurn for benchmarks.
func endTurnB(b *testing.B, e *kvEngine) {
	if err := e.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
}
