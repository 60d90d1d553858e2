package hurrah

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExpiryReplayPushedBack: a deadline pushed back (Expire) or dropped
// (Persist) before the old one passed survives a restart after the old
// one, from the journal and from a snapshot. Replay applies the journaled
// change to the key the map holds, though by the restart's clock its old
// deadline has passed.
func TestExpiryReplayPushedBack(t *testing.T) {
	ctx := context.Background()
	for _, snap := range []bool{false, true} {
		c := newTestClock()
		dir := newDir(t)
		db := openT(t, dir, c.opts(Options{}))
		require.NoError(t, db.SetBytes(ctx, "pushed", []byte("1"), TTL(time.Second)))
		require.NoError(t, db.SetBytes(ctx, "kept", []byte("2"), TTL(time.Second)))
		if snap {
			require.NoError(t, db.Snapshot(ctx))
		}
		c.add(500 * time.Millisecond)
		ok, err := db.Expire(ctx, "pushed", TTL(time.Hour))
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.Persist(ctx, "kept")
		require.NoError(t, err)
		require.True(t, ok)
		require.NoError(t, db.Close())

		c.add(2 * time.Second) // past the old deadlines
		db = openT(t, dir, c.opts(Options{}))
		at, err := db.ExpiresAt(ctx, "pushed")
		require.NoError(t, err, "snapshot %v", snap)
		require.True(t, at.Equal(t0.Add(500*time.Millisecond+time.Hour)), "%v", at)
		at, err = db.ExpiresAt(ctx, "kept")
		require.NoError(t, err, "snapshot %v", snap)
		require.True(t, at.IsZero())
		require.NoError(t, db.Close())
	}
}

// TestExpireExpiredKey: Expire and Persist of a key whose deadline has
// passed, not yet removed, find nothing and change nothing.
func TestExpireExpiredKey(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, newDir(t), c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "k", []byte("1"), TTL(time.Second)))
	c.add(2 * time.Second)
	ok, err := db.Expire(ctx, "k", TTL(time.Hour))
	require.NoError(t, err)
	require.False(t, ok)
	ok, err = db.Persist(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok)
	requireGone(t, db, "k")
}
