package hurrah

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// published reads key through the owner, so that it publishes an image at
// the end of that turn, and returns once the turn is over (a Sync is
// answered in the next one).
func published(t *testing.T, db *DB, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := db.query(ctx, store.Query{Op: store.QueryGet, Key: key})
	require.NoError(t, err)
	require.NoError(t, db.Sync(ctx))
}

// TestLockFreeGetHidesExpired checks that a Get answered from the
// published image hides a key once its deadline has passed, by the clock,
// though nothing was written since the image was published.
func TestLockFreeGetHidesExpired(t *testing.T) {
	clock := newTestClock()
	db, err := Open("", clock.opts(Options{}))
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v"), TTL(time.Hour)))
	published(t, db, "k")

	before := db.Stats().LockFreeGets
	v, err := db.GetBytes(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "v", string(v))
	require.Equal(t, before+1, db.Stats().LockFreeGets, "answered from the image")

	clock.add(2 * time.Hour)
	_, err = db.GetBytes(ctx, "k")
	require.ErrorIs(t, err, ErrNotFound)
	ok, err := db.Has(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, before+3, db.Stats().LockFreeGets, "answered from the image")
}

// TestGetBytesManyLockFree checks that GetBytesMany answers from the
// published image, without the owner, with what the owner would answer:
// a stored empty value as empty, a missing key as nil.
func TestGetBytesManyLockFree(t *testing.T) {
	db, err := Open("", nil)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.SetBytes(ctx, "empty", nil))
	published(t, db, "a")

	before := db.Stats()
	vals, err := db.GetBytesMany(ctx, []string{"a", "missing", "empty"})
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("1"), nil, {}}, vals)
	require.NotNil(t, vals[2])
	require.NoError(t, db.Sync(ctx)) // the owner publishes its counts at the end of a turn
	require.Equal(t, before.OwnerReads, db.Stats().OwnerReads, "no read in the owner")

	require.NoError(t, db.SetBytes(ctx, "a", []byte("2")))
	vals, err = db.GetBytesMany(ctx, []string{"a"})
	require.NoError(t, err)
	require.Equal(t, "2", string(vals[0]))
}
