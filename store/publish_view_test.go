package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// scanKeys returns the keys img's Range yields from start, in order.
func scanKeys(img store.KVImage, start string) []string {
	var keys []string
	for k := range img.Range(start, "", false) {
		keys = append(keys, k)
	}
	return keys
}

// TestPublishedView checks when a View can come from the publication: only
// once a Freeze has shared the ordered index and no key was created or
// removed since (so that the publication costs later creates no copies);
// that such a View holds the index and keeps the state it was taken in
// whatever is written after; and that while it is held, the owner folds
// nothing, as for any View, and does once it is released.
func TestPublishedView(t *testing.T) {
	kv := store.NewKV(0)
	e := startPub(t, kv)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		_, err := update(ctx, e, set(k, "1"), store.AckApplied)
		require.NoError(t, err)
	}
	get(t, e, "a")
	endTurn(t, e)
	_, _, ok := e.Lookup("a")
	require.True(t, ok, "published")
	_, _, ok = e.PublishedView()
	require.False(t, ok, "the publication leaves out an index no View froze")

	var release func()
	inOwner(t, e, func() { _, release, _ = kv.Freeze() }) // a View from the owner
	inOwner(t, e, func() { release() })
	v, vrelease, ok := e.PublishedView()
	require.True(t, ok, "an index already frozen, nothing changed: the publication holds it")
	require.Equal(t, []string{"a", "b", "c"}, scanKeys(v, ""))

	_, err := update(ctx, e, set("bb", "1"), store.AckApplied) // a new key
	require.NoError(t, err)
	_, err = update(ctx, e, store.Command{Op: store.OpDelete, Key: "a"}, store.AckApplied)
	require.NoError(t, err)
	get(t, e, "a")
	endTurn(t, e)
	_, _, ok = e.Lookup("a")
	require.True(t, ok, "published again")
	_, _, ok = e.PublishedView()
	require.False(t, ok, "keys created and removed since the index was frozen: left out")
	require.Equal(t, []string{"a", "b", "c"}, scanKeys(v, ""), "the View keeps its state")
	b, found := v.Get("a")
	require.True(t, found)
	require.Equal(t, "1", string(b))

	// Writes enough for a fold: the owner retires the publication but
	// folds nothing while the View is inside it.
	for i := range store.FoldStep + 10 {
		_, err := update(ctx, e, set(fmt.Sprintf("n%05d", i), "1"), store.AckApplied)
		require.NoError(t, err)
	}
	var ovl int
	for range 3 {
		inOwner(t, e, func() { ovl = store.OverlayLen(kv) })
	}
	require.Greater(t, ovl, store.FoldStep, "nothing folded while the View is held")
	require.Equal(t, []string{"a", "b", "c"}, scanKeys(v, ""), "the View keeps its state")
	vrelease()
	for range 4 { // release the publication, fold in steps
		inOwner(t, e, func() { ovl = store.OverlayLen(kv) })
	}
	require.Zero(t, ovl, "folded once the View was released")
	var keys []string
	inOwner(t, e, func() {
		for k := range kv.Range("", "c", false) {
			keys = append(keys, k)
		}
	})
	require.Equal(t, []string{"b", "bb"}, keys)
}
