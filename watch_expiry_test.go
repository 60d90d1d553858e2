package hurrah

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWatchExpiry checks the changes expiry makes: a set with a deadline
// carries it, Expire and Persist report the new deadline, and the owner's
// removal of an expired key is ChangeExpired, not a delete.
func TestWatchExpiry(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, newDir(t), c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1"), TTL(time.Second)))
	require.NoError(t, db.SetBytes(ctx, "b", []byte("2")))
	_, err := db.Expire(ctx, "b", TTL(time.Minute))
	require.NoError(t, err)
	_, err = db.Persist(ctx, "b")
	require.NoError(t, err)
	b := &Batch{}
	b.SetBytes("c", []byte("3"), Deadline(t0.Add(time.Hour)))
	require.NoError(t, db.Write(ctx, b))
	c.add(2 * time.Second)
	require.NoError(t, db.Sync(ctx)) // a turn of the owner, which removes a

	got, err := collectUntil(db.Watch(ctx, 1, nil), func(c Change) bool { return c.Kind == ChangeExpired })
	require.NoError(t, err)
	require.Equal(t, []Change{
		{LSN: 1, Kind: ChangeSet, Key: "a", Value: []byte("1"), Expires: time.Unix(0, t0.Add(time.Second).UnixNano())},
		{LSN: 2, Kind: ChangeSet, Key: "b", Value: []byte("2")},
		{LSN: 3, Kind: ChangeDeadline, Key: "b", Expires: time.Unix(0, t0.Add(time.Minute).UnixNano())},
		{LSN: 4, Kind: ChangeDeadline, Key: "b"},
		{LSN: 5, Kind: ChangeSet, Key: "c", Value: []byte("3"), Expires: time.Unix(0, t0.Add(time.Hour).UnixNano())},
		{LSN: 6, Kind: ChangeExpired, Key: "a"},
	}, got)
	require.Equal(t, "deadline expired", ChangeDeadline.String()+" "+ChangeExpired.String())
}
