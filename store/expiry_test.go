package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64 { return c.ns.Load() }

func clockedKV(c *fakeClock) *store.KV {
	kv := store.NewKV(0)
	kv.SetClock(c.now, false)
	return kv
}

func setAt(k, v string, at int64) store.Command {
	return store.Command{Op: store.OpSetAt, Key: k, Value: []byte(v), At: at}
}

func mustApply(t *testing.T, kv *store.KV, c store.Command) store.Result {
	t.Helper()
	r, _, err := kv.Apply(c)
	require.NoError(t, err)
	return r
}

func TestKVExpiryHidesFromTheDeadline(t *testing.T) {
	c := &fakeClock{}
	c.ns.Store(1000)
	kv := clockedKV(c)
	mustApply(t, kv, setAt("a", "1", 2000))
	mustApply(t, kv, set("b", "22"))
	mustApply(t, kv, setAt("c", "3", 5000))
	require.Equal(t, int64(2000), kv.Deadline("a"))
	require.Equal(t, int64(0), kv.Deadline("b"))
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	kimg := img.(store.KVImage)

	c.ns.Store(1999)
	_, ok := kv.Get("a")
	require.True(t, ok, "before the deadline")
	c.ns.Store(2000)
	_, ok = kv.Get("a")
	require.False(t, ok, "at the deadline")
	require.Equal(t, 2, kv.Query(store.Query{Op: store.QueryLen}).N)
	keys, bytes := kv.Size()
	require.Equal(t, 2, keys)
	require.Equal(t, int64(len("b22c3")), bytes)
	keys, bytes = kv.StoredSize()
	require.Equal(t, 3, keys, "stored until the owner removes it")
	require.Equal(t, int64(len("a1b22c3")), bytes)
	require.ElementsMatch(t, []string{"b", "c"}, kv.Query(store.Query{Op: store.QueryKeys}).Keys)
	require.Equal(t, int64(0), kv.Deadline("a"), "an expired key has no deadline: it is absent")

	// The image hides it too, and still holds every record with its
	// deadline for a snapshot.
	_, ok = kimg.Get("a")
	require.False(t, ok)
	require.Equal(t, 2, kimg.LiveLen())
	require.Equal(t, 3, kimg.Len())
	require.Equal(t, int64(2000), kimg.Deadline("a"))
	live := map[string]string{}
	for k, v := range kimg.Live {
		live[k] = string(v)
	}
	require.Equal(t, map[string]string{"b": "22", "c": "3"}, live)

	// Changing deadlines while the image is open leaves the image alone.
	r := mustApply(t, kv, store.Command{Op: store.OpExpireAt, Key: "c", At: 9000})
	require.True(t, r.Found)
	r = mustApply(t, kv, store.Command{Op: store.OpExpireIfLive, Key: "a", At: 9000})
	require.False(t, r.Found, "an expired key cannot be given a deadline")
	mustApply(t, kv, setAt("b", "x", 2500))
	require.Equal(t, int64(5000), kimg.Deadline("c"))
	require.Equal(t, int64(0), kimg.Deadline("b"))
	require.Equal(t, int64(9000), kv.Deadline("c"))

	// A plain set drops the deadline; OpExpireAt with 0 too.
	mustApply(t, kv, set("b", "y"))
	require.Equal(t, int64(0), kv.Deadline("b"))
	mustApply(t, kv, store.Command{Op: store.OpExpireAt, Key: "c"})
	c.ns.Store(1 << 40)
	require.Equal(t, 2, kv.Query(store.Query{Op: store.QueryLen}).N, "b and c have no deadline left")

	// Deleting an expired key reports it absent.
	c.ns.Store(1000)
	mustApply(t, kv, setAt("d", "4", 1500))
	c.ns.Store(1500)
	r, changed, err := kv.Apply(del("d"))
	require.NoError(t, err)
	require.False(t, r.Found)
	require.True(t, changed, "the key was still in the map: the delete is journaled")
}

func TestKVExpireAbsentAndCAS(t *testing.T) {
	c := &fakeClock{}
	kv := clockedKV(c)
	mustApply(t, kv, setAt("a", "1", 10))
	c.ns.Store(10)
	r := mustApply(t, kv, store.Command{Op: store.OpSetAbsent, Key: "a", Value: []byte("2"), At: 20})
	require.True(t, r.Found, "an expired key is absent")
	require.Equal(t, int64(20), kv.Deadline("a"))
	r = mustApply(t, kv, store.Command{Op: store.OpCAS, Key: "a", Old: []byte("2"), Value: []byte("3")})
	require.True(t, r.Found)
	require.Equal(t, int64(0), kv.Deadline("a"), "a swap without a deadline drops it")
}

// TestExpireDueBounded expires many keys at once: each step removes at
// most ExpireStep, the encoding of each decodes to an OpExpire that
// removes the same keys from a replica built by replaying the commands,
// and both end equal.
func TestExpireDueBounded(t *testing.T) {
	c := &fakeClock{}
	kv, replica := clockedKV(c), clockedKV(c)
	const n = 3*store.ExpireStep + 10
	for i := range n {
		cmd := setAt(fmt.Sprint("k", i), "v", int64(100+i%7))
		mustApply(t, kv, cmd)
		mustApply(t, replica, cmd)
	}
	mustApply(t, kv, set("keep", "v"))
	mustApply(t, replica, set("keep", "v"))
	data, next, more := store.ExpireDue(kv)
	require.Nil(t, data, "nothing due yet")
	require.Equal(t, int64(100), next)
	require.False(t, more)

	c.ns.Store(1000)
	steps := 0
	for {
		data, next, more = store.ExpireDue(kv)
		if data == nil {
			break
		}
		steps++
		cmd, err := store.DecodeCommand(data)
		require.NoError(t, err)
		require.Equal(t, store.OpExpire, cmd.Op)
		require.LessOrEqual(t, len(cmd.Batch), store.ExpireStep)
		mustApply(t, replica, cmd)
		require.Equal(t, steps*store.ExpireStep < n, more, "step %d", steps)
	}
	require.Equal(t, 4, steps)
	require.Equal(t, int64(0), next)
	require.Equal(t, 1, store.Size(kv))
	require.Equal(t, kvState(kv), kvState(replica))
	require.Equal(t, 1, store.Size(replica), "the replica removed the keys too")
}

// TestEngineExpiresAndJournals runs an engine whose keys expire: a turn
// after the deadline journals the removal, and replaying the journal into
// a new engine gives the same state, even with the clock far behind.
func TestEngineExpiresAndJournals(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{}
	s := newAutoSink()
	kv := clockedKV(c)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(s, actor.Options{})
	for i := range 5 {
		cmd := setAt(fmt.Sprint("k", i), "v", 50)
		_, err := e.Update(ctx, cmd, mustEncode(cmd), store.AckApplied)
		require.NoError(t, err)
	}
	cmd := set("keep", "v")
	_, err := e.Update(ctx, cmd, mustEncode(cmd), store.AckApplied)
	require.NoError(t, err)
	c.ns.Store(50)
	r, err := e.Query(ctx, store.Query{Op: store.QueryLen})
	require.NoError(t, err)
	require.Equal(t, 1, r.N, "hidden at once")
	require.NoError(t, e.Sync(ctx)) // a turn: the owner expires after it
	require.NoError(t, e.Sync(ctx))
	require.NoError(t, e.Close())
	s.check(t)

	entries := s.entries()
	requireContiguous(t, entries, 1)
	last, err := store.DecodeCommand(entries[len(entries)-1].Data)
	require.NoError(t, err)
	require.Equal(t, store.OpExpire, last.Op)
	require.Len(t, last.Batch, 5)

	c2 := &fakeClock{} // a replica whose clock is at 0: replay still removes them
	kv2 := clockedKV(c2)
	e2 := store.New[store.Command, store.Query, store.Result](kv2, store.DecodeCommand, 0)
	for _, en := range entries {
		require.NoError(t, e2.Replay(en))
	}
	require.Equal(t, map[string]string{"keep": "v"}, kvState(kv2))
}

// TestEngineWakesAtTheDeadline: with no request coming, the owner wakes
// at the next deadline (its timer) and journals the removal. The fake
// clock is moved to the deadline before the timer, armed for 1 ms of
// real time, fires; the test waits on the sink, not on time.
func TestEngineWakesAtTheDeadline(t *testing.T) {
	ctx := context.Background()
	c := &fakeClock{}
	s := newFakeSink()
	kv := clockedKV(c)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(s, actor.Options{})
	defer e.Close()
	cmd := setAt("k", "v", int64(time.Millisecond))
	done := async(func() error { _, err := e.Update(ctx, cmd, mustEncode(cmd), store.AckApplied); return err })
	require.NoError(t, recv(t, done, "the set"))
	first := s.next(t)
	require.Len(t, first.Entries, 1)
	c.ns.Store(int64(time.Millisecond))
	p := s.next(t) // only the timer can bring this
	require.Len(t, p.Entries, 1)
	got, err := store.DecodeCommand(p.Entries[0].Data)
	require.NoError(t, err)
	require.Equal(t, store.OpExpire, got.Op)
	require.Equal(t, []store.Mutation{mdel("k")}, got.Batch)
}

// TestEngineReadsTheClockOncePerTurn: a turn reads the clock once, for
// its requests, its expiry check and the statistics it publishes alike (a
// read costs 30 to 60 ns, as much as the Get it serves). One caller's
// requests come one per turn, so the reads count at most the requests.
func TestEngineReadsTheClockOncePerTurn(t *testing.T) {
	ctx := context.Background()
	var reads atomic.Int64
	kv := store.NewKV(0)
	kv.SetClock(func() int64 { reads.Add(1); return 1000 }, false)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	defer e.Close()
	const n = 50
	for i := range n {
		cmd := setAt(fmt.Sprint("k", i), "v", 1<<62)
		_, err := e.Update(ctx, cmd, mustEncode(cmd), store.AckApplied)
		require.NoError(t, err)
	}
	before := reads.Load()
	for i := range n {
		r, err := e.Query(ctx, store.Query{Op: store.QueryGet, Key: fmt.Sprint("k", i)})
		require.NoError(t, err)
		require.True(t, r.Found)
	}
	require.LessOrEqual(t, reads.Load()-before, int64(n), "clock reads for %d gets", n)
	require.Positive(t, reads.Load()-before, "a get of a key with a deadline reads the clock")
}
