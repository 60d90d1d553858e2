package hurrah

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tickingClock returns a test clock that, while ticking is set, moves on
// by a microsecond at every reading, as a real clock moves between two
// readings, and the options that make a store read it.
func tickingClock() (c *testClock, ticking *atomic.Bool, o *Options) {
	c, ticking = newTestClock(), new(atomic.Bool)
	o = c.opts(Options{})
	o.clock = func() int64 {
		if ticking.Load() {
			return c.ns.Add(int64(time.Microsecond))
		}
		return c.now()
	}
	return c, ticking, o
}

// requirePair checks that a and b have one deadline, and that a View
// taken when the clock reads it shows both of them or neither.
func requirePair(t *testing.T, db *DB, c *testClock, a, b string) {
	t.Helper()
	ctx := t.Context()
	atA, err := db.ExpiresAt(ctx, a)
	require.NoError(t, err)
	atB, err := db.ExpiresAt(ctx, b)
	require.NoError(t, err)
	require.Equal(t, atA, atB, "one atomic write, one TTL: one deadline")
	c.ns.Store(atA.UnixNano())
	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	seq, err := v.Range("", "", nil)
	require.NoError(t, err)
	got := map[string]bool{}
	for k := range seq {
		got[k] = true
	}
	require.Equal(t, got[a], got[b], "one key of the pair in a View's scan: %v", got)
}

// TestBatchTTLsOneInstant checks that the keys of one Batch set with the
// same TTL get the same deadline, however the clock moves while Write
// reads it: the batch is one atomic step, so no reader may see one of
// them expired and the other not (TestViewPairsWithExpiry met that under
// load, when each key's TTL read the clock anew).
func TestBatchTTLsOneInstant(t *testing.T) {
	ctx := context.Background()
	c, ticking, o := tickingClock()
	db := openT(t, "", o)
	ticking.Store(true)
	var b Batch
	b.SetBytes("a", []byte("1"), TTL(time.Second))
	b.SetBytes("m", []byte("1")) // no TTL between them
	b.SetBytes("b", []byte("1"), TTL(time.Second))
	require.NoError(t, db.Write(ctx, &b))
	ticking.Store(false)
	requirePair(t, db, c, "a", "b")
}

// TestTxTTLsOneInstant is TestBatchTTLsOneInstant for a transaction: its
// writes apply as one atomic step too.
func TestTxTTLsOneInstant(t *testing.T) {
	ctx := context.Background()
	c, ticking, o := tickingClock()
	db := openT(t, "", o)
	ticking.Store(true)
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		if err := tx.SetBytes("a", []byte("1"), TTL(time.Second)); err != nil {
			return err
		}
		if _, err := tx.GetBytes("a"); err != nil { // a read between
			return err
		}
		return TxSet(tx, "b", 1, TTL(time.Second))
	}))
	ticking.Store(false)
	requirePair(t, db, c, "a", "b")
}
