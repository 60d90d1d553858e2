package hurrah

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// With more keys due than the owner counts in a turn (4,096), Len lets the
// owner remove some first, or, if that takes too many turns (none here in
// "view"), counts from a View instead; either way it leaves the expired
// keys out, as it does with a few due.
func TestLenWhileManyAreDue(t *testing.T) {
	t.Run("turns", testLenWhileManyAreDue)
	t.Run("view", func(t *testing.T) {
		defer func(n int) { lenTries = n }(lenTries)
		lenTries = 0
		testLenWhileManyAreDue(t)
	})
}

func testLenWhileManyAreDue(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	var b Batch
	for i := range 5000 {
		b.SetBytes(fmt.Sprintf("due-%05d", i), []byte("v"), TTL(time.Minute))
	}
	b.SetBytes("soon", []byte("v"), TTL(time.Minute+time.Second))
	b.SetBytes("keep", []byte("v"))
	require.NoError(t, db.Write(ctx, &b))
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 5002, n)
	c.add(time.Minute)
	n, err = db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	c.add(time.Second)
	n, err = db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, db.Close())
	_, err = db.Len(ctx)
	require.ErrorIs(t, err, ErrClosed)
}
