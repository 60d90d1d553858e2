package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// awaitClosed fails the test if ch is not closed within a long while: a
// lost wake-up.
func awaitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: never woken", what)
	}
}

// TestRingWakesEveryTurnWithinTheCoalescingDelay: under a stream of
// writes with a waiter each time, each waiter is woken, those that came
// too soon after a wake-up by the timer; the timer disarms once it has
// fired.
func TestRingWakesEveryTurnWithinTheCoalescingDelay(t *testing.T) {
	ctx := context.Background()
	e, r := watchedEngine(t)
	var err error

	for i := range 50 {
		moved := r.Moved()
		_, err = update(ctx, e, set("k", "v"), store.AckApplied)
		require.NoError(t, err)
		awaitClosed(t, moved, fmt.Sprintf("write %d", i))
		_, _, st := r.LookupChange(uint64(i + 1))
		require.Equal(t, store.RingHit, st)
	}
	require.Eventually(t, func() bool { return !store.WakeArmed(r) }, 10*time.Second, time.Millisecond)
}

// TestRingWakesAtOnceAfterAQuietSpell: a write that comes once the last
// wake-up is over wakeEvery (300 µs) old wakes the waiter from the
// owner's turn, without the timer: coalescing delays only a stream.
func TestRingWakesAtOnceAfterAQuietSpell(t *testing.T) {
	ctx := context.Background()
	e, r := watchedEngine(t)
	for i := range 20 {
		moved := r.Moved()
		_, err := update(ctx, e, set("k", "v"), store.AckApplied)
		require.NoError(t, err)
		awaitClosed(t, moved, fmt.Sprintf("write %d", i))
		// The quiet spell: the precondition, not a wait for a result
		// (a slower machine only lengthens it).
		time.Sleep(2 * time.Millisecond)
		require.False(t, store.WakeArmed(r), "a wake-up still owed after the spell")
		arms := store.WakeArms(r)
		moved = r.Moved()
		_, err = update(ctx, e, set("k", "v"), store.AckApplied)
		require.NoError(t, err)
		awaitClosed(t, moved, fmt.Sprintf("write %d after the spell", i))
		require.Equal(t, arms, store.WakeArms(r), "the timer woke the waiter after a quiet spell")
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRingTimerStopsWithTheLastWatcherAndOnClose: a wake-up the timer
// still owes is dropped when the last watcher detaches, and Close stops
// the timer too (TestMain's goleak checks that nothing is left).
func TestRingTimerStopsWithTheLastWatcherAndOnClose(t *testing.T) {
	for _, how := range []string{"unwatch", "close"} {
		t.Run(how, func(t *testing.T) {
			s := newAutoSink()
			e := newKVEngine(0)
			e.Start(s, actor.Options{})
			defer func() { _ = e.Close() }()
			ctx := context.Background()
			r, _, err := e.Watch(ctx)
			require.NoError(t, err)
			// Two writes with a waiter, back to back: the second is
			// owed by the timer unless the first wake-up is over
			// 300 µs old by then; try until it is armed.
			for armed := false; !armed; {
				r.Moved()
				_, err = update(ctx, e, set("k", "v"), store.AckApplied)
				require.NoError(t, err)
				r.Moved()
				_, err = update(ctx, e, set("k", "v"), store.AckApplied)
				require.NoError(t, err)
				armed = store.WakeArmed(r)
			}
			if how == "unwatch" {
				e.Unwatch()
			} else {
				require.NoError(t, e.Close())
				e.Unwatch()
			}
			require.False(t, store.WakeArmed(r), "timer left armed")
		})
	}
}

// TestRingWakesEveryWaiterForTheLastWrite: waiters park and check in a
// loop while bursts of writes come, with pauses of no write at all, so
// that some of each burst's last entries are owed by the timer, some by
// an immediate wake-up, and some waiters find them without parking: each
// waiter sees each burst's last entry without a lost wake-up.
func TestRingWakesEveryWaiterForTheLastWrite(t *testing.T) {
	ctx := context.Background()
	e, r := watchedEngine(t)
	const waiters, bursts = 8, 60
	lsn := uint64(0)
	for b := range bursts {
		target := lsn + uint64(1+b%7)
		done := make(chan struct{}, waiters)
		for range waiters {
			go func() {
				defer func() { done <- struct{}{} }()
				for {
					moved := r.Moved()
					if _, st := r.Lookup(target); st == store.RingHit {
						return
					}
					select {
					case <-moved:
					case <-time.After(10 * time.Second):
						t.Errorf("burst %d: entry %d never woke a waiter", b, target)
						return
					}
				}
			}()
		}
		for lsn < target {
			_, err := update(ctx, e, set("k", "v"), store.AckApplied)
			require.NoError(t, err)
			lsn++
		}
		for range waiters {
			<-done
		}
	}
}
