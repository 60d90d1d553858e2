package hurrah

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestViewPairsWithExpiry checks that Views, lock-free from the
// publication or from the owner, and lock-free gets stay consistent while
// keys written in pairs, with one deadline per pair, are overwritten,
// expire and are removed by the owner (an expiry step does not retire the
// publication): a scan of a View shows both keys of a pair, with the same
// value, or neither, and its Len counts no more keys than it holds.
func TestViewPairsWithExpiry(t *testing.T) {
	ctx := t.Context()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	const pairs = 40
	var stop atomic.Bool
	var wg sync.WaitGroup
	// Stop the goroutines before db closes (cleanups run last first), so
	// that a failed check below is reported, not hidden by a writer
	// panicking on the closed store.
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	wg.Go(func() { // writer: pairs with deadlines a few ticks ahead
		for i := 0; !stop.Load(); i++ {
			var b Batch
			p := i % pairs
			v := []byte(fmt.Sprint(i))
			ttl := TTL(time.Duration(1+i%5) * time.Millisecond)
			b.SetBytes(fmt.Sprintf("a%02d", p), v, ttl)
			b.SetBytes(fmt.Sprintf("b%02d", p), v, ttl)
			if err := db.Write(ctx, &b); err != nil {
				if stop.Load() { // the test ends: t.Context is done
					return
				}
				panic(err)
			}
		}
	})
	wg.Go(func() { // the clock moves, the owner expires keys
		for !stop.Load() {
			c.add(time.Millisecond)
			_, _ = db.Has(ctx, "a00") // a read: the owner publishes
		}
	})
	wg.Go(func() { // lock-free gets: a pair's keys agree unless written between
		for !stop.Load() {
			_, _ = db.GetBytes(ctx, "a01")
		}
	})
	local := 0
	for range 800 {
		v, err := db.View(ctx)
		require.NoError(t, err)
		if v.local {
			local++
		}
		seq, err := v.Range("", "", nil)
		require.NoError(t, err)
		got := map[string]string{}
		for k, b := range seq {
			got[k] = string(b)
		}
		for p := range pairs {
			a, b := fmt.Sprintf("a%02d", p), fmt.Sprintf("b%02d", p)
			va, oka := got[a]
			vb, okb := got[b]
			require.Equal(t, oka, okb, "pair %d: one key of it in the View", p)
			require.Equal(t, va, vb, "pair %d in one View", p)
		}
		require.LessOrEqual(t, v.Len(), len(got), "Len counts keys expired before the scan")
		require.NoError(t, v.Close())
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d Views from the publication", local)
}

// TestViewLenAfterClose checks that Len, like every other read of a View,
// reads nothing once the View is closed: with keys that have deadlines it
// walks the View's maps, which the owner may be folding by then (a
// concurrent map read and write, which the runtime aborts on).
func TestViewLenAfterClose(t *testing.T) {
	ctx := t.Context()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "t", []byte("v"), TTL(time.Minute)))
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
	c.add(2 * time.Minute) // past the deadline: Len walks the entries
	v, err := db.View(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, v.Len())
	require.NoError(t, v.Close())
	require.Zero(t, v.Len(), "Len read the View after Close")
}
