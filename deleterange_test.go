package hurrah

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// TestWatchDeleteRange checks that a range delete is one change naming its
// range, reported to a prefix watcher only if the range meets the prefix,
// and that a range delete that finds nothing journals nothing.
func TestWatchDeleteRange(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	for _, k := range []string{"a1", "a2", "b1", "c1"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte("v")))
	}
	n, err := db.DeletePrefix(ctx, "zz") // nothing there: no record
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = db.DeletePrefix(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = db.DeleteRange(ctx, "b", "")
	require.NoError(t, err)
	require.Equal(t, 2, n)

	got, err := collect(t, db.Watch(ctx, 1, nil), 6)
	require.NoError(t, err)
	require.Len(t, got, 6)
	require.Equal(t, Change{LSN: 5, Kind: ChangeDeleteRange, Key: "a", End: "b"}, got[4])
	require.Equal(t, Change{LSN: 6, Kind: ChangeDeleteRange, Key: "b"}, got[5])
	require.Equal(t, "delete-range", got[4].Kind.String())

	got, err = collect(t, db.Watch(ctx, 1, &WatchOptions{Prefix: "c"}), 6)
	require.NoError(t, err)
	require.Equal(t, []ChangeKind{ChangeSet, ChangeDeleteRange}, []ChangeKind{got[0].Kind, got[1].Kind})
	require.Equal(t, uint64(6), got[1].LSN) // ["a", "b") does not meet "c"
}

// TestWantedRange checks which range deletes a prefix watcher reports.
func TestWantedRange(t *testing.T) {
	rd := func(start, end string) store.Change {
		return store.Change{Op: store.OpDeleteRange, Key: start, End: end}
	}
	for _, c := range []struct {
		c      store.Change
		prefix string
		want   bool
	}{
		{rd("a", "b"), "a", true},
		{rd("a", "b"), "ab", true},
		{rd("a", "b"), "b", false},
		{rd("b", "c"), "a", false},
		{rd("a", "a\x00"), "a", true},
		{rd("ab", ""), "a", true},
		{rd("b", ""), "a", false},
		{rd("", "a"), "a", false},
		{rd("", "a\x00"), "a", true},
		{rd("\xff", ""), "\xff", true},
		{rd("x", "y"), "", true},
	} {
		require.Equal(t, c.want, wanted(c.c, c.prefix), "%+v under %q", c.c, c.prefix)
	}
}
