package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// startPub starts a memory-only engine over kv, closed at cleanup.
func startPub(t *testing.T, kv *store.KV) *kvEngine {
	t.Helper()
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// lookup reads k from the published image, failing if there is none.
func lookup(t *testing.T, e *kvEngine, k string) (string, bool) {
	t.Helper()
	v, found, ok := e.Lookup(k)
	require.True(t, ok, "a published image")
	return string(v), found
}

// inOwner runs fn in the owner goroutine (a read: it makes the owner
// publish at the end of that turn), and returns once that turn is over.
// fn must not fail the test (that would stop the owner): it records what
// the test then checks.
func inOwner(t *testing.T, e *kvEngine, fn func()) {
	t.Helper()
	require.NoError(t, e.Read(context.Background(), fn))
	endTurn(t, e)
}

// endTurn returns once the owner has ended the turn in which it answered
// the caller's last request: the owner answers in the turn, and publishes
// at its end. A Sync without a sink is answered in the next turn, and is
// neither a read nor a write.
func endTurn(t *testing.T, e *kvEngine) {
	t.Helper()
	require.NoError(t, e.Sync(context.Background()))
}

// TestPublishOnRead checks when the owner publishes: not before a read
// came to it, at the end of the turn that served one, and never after a
// mutation until the next read; and that a write acknowledged is never
// followed by a lock-free read of the state before it.
func TestPublishOnRead(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	_, err := update(ctx, e, set("a", "1"), store.AckApplied)
	require.NoError(t, err)
	_, _, ok := e.Lookup("a")
	require.False(t, ok, "published before any read came to the owner")
	var shared int
	inOwner(t, e, func() { shared = store.SharedImages(kv) })
	require.Zero(t, shared, "writes alone hold no image")

	v, found := get(t, e, "a") // a read through the owner: it publishes
	endTurn(t, e)
	require.True(t, found)
	require.Equal(t, "1", v)
	v, found = lookup(t, e, "a")
	require.True(t, found)
	require.Equal(t, "1", v)
	_, found = lookup(t, e, "b")
	require.False(t, found)

	for i := range 50 {
		val := strconv.Itoa(i)
		_, err := update(ctx, e, set("a", val), store.AckApplied)
		require.NoError(t, err)
		_, _, ok := e.Lookup("a")
		require.False(t, ok, "an image older than an acknowledged write, or one published after a turn of writes alone")
		get(t, e, "x")
		endTurn(t, e)
		v, _ = lookup(t, e, "a")
		require.Equal(t, val, v)
	}
	// Writes that change nothing retire the image too.
	_, err = update(ctx, e, del("missing"), store.AckApplied)
	require.NoError(t, err)
	_, _, ok = e.Lookup("a")
	require.False(t, ok)
	require.Positive(t, e.Stats().LockFreeGets)
}

// TestPublishHeldByReader checks that the owner keeps a retired image's
// maps, without waiting, while a reader is inside it; that it stops
// publishing once it has stacked MaxPubLayers layers for it; and that it
// folds everything back and publishes afresh once the reader has left.
func TestPublishHeldByReader(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	_, err := update(ctx, e, set("k", "old"), store.AckApplied)
	require.NoError(t, err)
	get(t, e, "k")
	endTurn(t, e)
	r := store.EnterPub(e)
	require.NotNil(t, r)

	published := 0
	for i := range 2 * store.MaxPubLayers {
		_, err := update(ctx, e, set("k", fmt.Sprint("v", i)), store.AckApplied)
		require.NoError(t, err)
		var shared, layers int
		inOwner(t, e, func() { shared, layers = store.SharedImages(kv), store.Layers(kv) })
		require.Equal(t, 1, shared, "the retired image is still held")
		require.LessOrEqual(t, layers, store.MaxPubLayers)
		if _, _, ok := e.Lookup("k"); ok {
			published++
		}
	}
	require.Equal(t, store.MaxPubLayers, published, "publications, one layer each, until the layers reach the cap")
	v, ok := r.Get("k")
	require.True(t, ok)
	require.Equal(t, "old", string(v), "the reader's image is what it was")
	r.Leave()

	inOwner(t, e, func() {}) // releases, folds, publishes
	var ovl, layers int
	inOwner(t, e, func() { ovl, layers = store.OverlayLen(kv), store.Layers(kv) })
	require.Zero(t, ovl, "folded")
	require.Zero(t, layers)
	v2, _ := lookup(t, e, "k")
	require.Equal(t, fmt.Sprint("v", 2*store.MaxPubLayers-1), v2)
}

// TestPublishCapWhileFrozen checks that while another image holds the maps
// (a snapshot being saved), publications after writes stack no more than
// MaxPubLayers layers: reads then go to the owner, as before publication.
func TestPublishCapWhileFrozen(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	f, err := e.Freeze(ctx)
	require.NoError(t, err)
	for i := range 3 * store.MaxPubLayers {
		_, err := update(ctx, e, set("k", strconv.Itoa(i)), store.AckApplied)
		require.NoError(t, err)
		var layers int
		inOwner(t, e, func() { layers = store.Layers(kv) })
		require.LessOrEqual(t, layers, store.MaxPubLayers)
	}
	_, _, ok := e.Lookup("k")
	require.False(t, ok, "published over the cap")
	v, _ := get(t, e, "k")
	require.Equal(t, strconv.Itoa(3*store.MaxPubLayers-1), v)
	f.Release()
	inOwner(t, e, func() {}) // folds, then publishes
	var ovl int
	inOwner(t, e, func() { ovl = store.OverlayLen(kv) })
	require.Zero(t, ovl)
	v, _ = lookup(t, e, "k")
	require.Equal(t, strconv.Itoa(3*store.MaxPubLayers-1), v)
}

// TestPublishClearWhileReading checks that a reader inside an image of the
// state before a Clear reads it safely (the race detector watches) while
// the owner fills the new map.
func TestPublishClearWhileReading(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	for i := range 100 {
		_, err := update(ctx, e, set(strconv.Itoa(i), "v"), store.AckApplied)
		require.NoError(t, err)
	}
	get(t, e, "0")
	endTurn(t, e)
	r := store.EnterPub(e)
	require.NotNil(t, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			for i := range 100 {
				v, ok := r.Get(strconv.Itoa(i))
				if !ok || string(v) != "v" {
					panic("the image changed under its reader")
				}
			}
		}
	}()
	_, err := update(ctx, e, clr(), store.AckApplied)
	require.NoError(t, err)
	for i := range 100 {
		_, err := update(ctx, e, set(strconv.Itoa(i), "new"), store.AckApplied)
		require.NoError(t, err)
	}
	recv(t, done, "the reader")
	r.Leave()
	get(t, e, "0")
	endTurn(t, e)
	v, _ := lookup(t, e, "5")
	require.Equal(t, "new", v)
}

// TestPublishClosed checks that nothing is published once the engine is
// closed.
func TestPublishClosed(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	get(t, e, "a")
	endTurn(t, e)
	_, _, ok := e.Lookup("a")
	require.True(t, ok)
	require.NoError(t, e.Close())
	_, _, ok = e.Lookup("a")
	require.False(t, ok)
}

// TestPublishConcurrent runs lock-free readers against writers, Views and
// snapshots-like freezes that make the owner stack layers and fold, and
// checks that every key's value, as each reader sees it, only moves
// forward (each writer writes increasing numbers to its own key); the
// race detector checks that no fold touches a map a reader is in.
func TestPublishConcurrent(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	const writers, readers, writes = 4, 4, 2000
	var wg sync.WaitGroup
	var stop atomic.Bool
	var fast atomic.Int64
	errs := make(chan error, readers+1)
	for w := range writers {
		wg.Go(func() {
			for i := 1; i <= writes; i++ {
				if _, err := update(ctx, e, set(fmt.Sprint("w", w), strconv.Itoa(i)), store.AckApplied); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var rg sync.WaitGroup
	for range readers {
		rg.Go(func() {
			seen := make([]int, writers)
			for !stop.Load() {
				for w := range writers {
					k := fmt.Sprint("w", w)
					v, found, ok := e.Lookup(k)
					if !ok {
						r, err := e.Query(ctx, store.Query{Op: store.QueryGet, Key: k})
						if err != nil {
							errs <- err
							return
						}
						v, found = r.Value, r.Found
					} else {
						fast.Add(1)
					}
					n := 0
					if found {
						n, _ = strconv.Atoi(string(v))
					}
					if n < seen[w] {
						errs <- fmt.Errorf("key %s went back from %d to %d", k, seen[w], n)
						return
					}
					seen[w] = n
				}
			}
		})
	}
	wg.Go(func() { // freezes as Views and snapshots take them
		for i := 0; i < 200; i++ {
			f, err := e.Freeze(ctx)
			if err != nil {
				errs <- err
				return
			}
			f.Release()
		}
	})
	wg.Wait()
	stop.Store(true)
	rg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Positive(t, fast.Load(), "reads answered from the published image")
	for w := range writers {
		v, _ := get(t, e, fmt.Sprint("w", w))
		require.Equal(t, strconv.Itoa(writes), v)
	}
}

// TestLookupManyOneInstant checks that LookupMany answers every key as of
// one instant, expiry included: two keys with the same deadline are both
// there or both gone, however the clock moves while it reads them.
func TestLookupManyOneInstant(t *testing.T) {
	const base, deadline = int64(1e18), int64(1e18) + int64(3600e9)
	var reads atomic.Int64 // from 1: the clock is just before the deadline at the first read, at it after
	clock := func() int64 {
		if reads.Load() == 0 {
			return base
		}
		if reads.Add(1) == 2 {
			return deadline - 1
		}
		return deadline
	}
	kv := store.NewKV(0)
	kv.SetClock(clock, false)
	e := startPub(t, kv)
	ctx := context.Background()
	for _, k := range []string{"a", "b"} {
		_, err := update(ctx, e, setAt(k, "v", deadline), store.AckApplied)
		require.NoError(t, err)
	}
	get(t, e, "a")
	endTurn(t, e)
	reads.Store(1)
	var found [2]bool
	ok := e.LookupMany([]string{"a", "b"}, func(i int, _ []byte, f bool) { found[i] = f })
	require.True(t, ok, "a published image")
	require.Equal(t, found[0], found[1], "a and b read at one instant")
}

// TestLookupExpiryWhileCurrent checks that a lock-free read judges expiry
// by a clock reading taken while its image is current: a reader that
// loads the image, then stalls while a write replaces the key with one
// that never expires and the key's old deadline passes, must not answer
// "gone", which the store never was during the read.
func TestLookupExpiryWhileCurrent(t *testing.T) {
	const base, deadline = int64(1e18), int64(1e18) + int64(3600e9)
	var phase atomic.Int32
	var e *kvEngine
	clock := func() int64 {
		switch phase.Load() {
		case 0, 2:
			return base
		case 1: // the reader's clock reading: stall while the write goes in
			phase.Store(2)
			if _, err := update(context.Background(), e, set("k", "v2"), store.AckApplied); err != nil {
				panic(err)
			}
			phase.Store(3)
		}
		return deadline
	}
	kv := store.NewKV(0)
	kv.SetClock(clock, false)
	e = startPub(t, kv)
	_, err := update(context.Background(), e, setAt("k", "v1", deadline), store.AckApplied)
	require.NoError(t, err)
	get(t, e, "k")
	endTurn(t, e)
	phase.Store(1)
	v, found, ok := e.Lookup("k")
	require.Equal(t, int32(3), phase.Load(), "the reader read the clock")
	if ok {
		require.True(t, found, "k was never gone during the read")
		require.Equal(t, "v1", string(v))
	}
	v2, _ := get(t, e, "k")
	require.Equal(t, "v2", v2)
}
