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

// The owner trusts its expiry timer on the KV's default clock and on a
// clock given as timed, never on one a test moves by hand.
func TestTimedClocks(t *testing.T) {
	require.True(t, store.TimersMeasure(store.NewKV(0)), "the default")
	kv := store.NewKV(0)
	kv.SetClock(store.WallClock(), true)
	require.True(t, store.TimersMeasure(kv))
	c := &fakeClock{}
	kv.SetClock(c.now, false)
	require.False(t, store.TimersMeasure(kv))
}

// TestSetTurnsAsleepReadNoClock: on a wall clock, while the timer is armed
// for the earliest deadline, a turn that serves a set with a later
// deadline reads no clock; a deadline earlier than the timer's makes the
// turn look again, and the timer then has the key removed once it is due.
func TestSetTurnsAsleepReadNoClock(t *testing.T) {
	ctx := context.Background()
	var reads atomic.Int64
	wall := store.WallClock()
	kv := store.NewKV(0)
	kv.SetClock(func() int64 { reads.Add(1); return wall() }, true)
	s := newAutoSink()
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(s, actor.Options{})
	defer e.Close()
	set := func(k string, at int64) {
		t.Helper()
		cmd := setAt(k, "v", at)
		_, err := e.Update(ctx, cmd, mustEncode(cmd), store.AckApplied)
		require.NoError(t, err)
	}
	hour := wall() + int64(time.Hour)
	set("first", hour) // arms the timer for hour
	// The reply comes before the end of the turn, where the owner reads
	// the clock to arm the timer: a second set is served in a later turn,
	// once that read is done.
	set("first", hour)
	before := reads.Load()
	for i := range 50 {
		set(fmt.Sprint("k", i), hour+int64(i))
		set("first", hour+int64(i)) // a refresh
	}
	require.Zero(t, reads.Load()-before, "clock reads for 100 sets while the timer is armed")
	set("soon", wall()+int64(time.Millisecond))
	require.NoError(t, e.Read(ctx, func() {})) // served once that turn has ended
	require.Positive(t, reads.Load()-before, "a deadline before the timer's is looked at")
	for {
		var n, stored int
		require.NoError(t, e.Read(ctx, func() { n, _ = kv.Size(); stored, _ = kv.StoredSize() }))
		if n == 51 && stored == 51 {
			break // removed, not only hidden
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
	}
}
