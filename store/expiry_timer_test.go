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

// Only WallClock's clocks are ones the owner's timer measures.
func TestWallClockIsTold(t *testing.T) {
	require.True(t, store.IsWallClock(store.WallClock()))
	require.True(t, store.IsWallClock(nil), "the default")
	c := &fakeClock{}
	require.False(t, store.IsWallClock(c.now))
}

// TestSetTurnsAsleepReadNoClock: on a wall clock, while the timer is armed
// for the earliest deadline, a turn that serves a set with a later
// deadline reads no clock; a deadline earlier than the timer's makes the
// turn look again, and the timer then has the key removed once it is due.
func TestSetTurnsAsleepReadNoClock(t *testing.T) {
	defer store.TrustAnyClock()()
	ctx := context.Background()
	var reads atomic.Int64
	wall := store.WallClock()
	kv := store.NewKV(0)
	kv.SetClock(func() int64 { reads.Add(1); return wall() })
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
	before := reads.Load()
	for i := range 50 {
		set(fmt.Sprint("k", i), hour+int64(i))
		set("first", hour+int64(i)) // a refresh
	}
	require.Zero(t, reads.Load()-before, "clock reads for 100 sets while the timer is armed")
	set("soon", wall()+int64(time.Millisecond))
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
