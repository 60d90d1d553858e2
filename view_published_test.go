package hurrah

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestViewFromPublication checks that once a View has frozen the ordered
// index and nothing has changed, the next View comes from the publication
// (no round trip), scans like any other, keeps its state across writes,
// and closes without the owner, even after the store is closed.
func TestViewFromPublication(t *testing.T) {
	ctx := context.Background()
	db, err := Open("", nil)
	require.NoError(t, err)
	defer db.Close()
	for _, k := range []string{"b", "a", "c"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte("v"+k)))
	}
	keys := func(v *View) []string {
		seq, err := v.Range("", "", nil)
		require.NoError(t, err)
		var ks []string
		for k := range seq {
			ks = append(ks, k)
		}
		return ks
	}
	local := false
	for range 5 { // the first from the owner; a later one from the publication
		v, err := db.View(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b", "c"}, keys(v))
		local = v.local
		require.NoError(t, v.Close())
		if local {
			break
		}
	}
	require.True(t, local, "no View came from the publication")

	v, err := db.View(ctx)
	require.NoError(t, err)
	require.True(t, v.local)
	require.NoError(t, db.SetBytes(ctx, "aa", []byte("x")))
	_, err = db.Delete(ctx, "c")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, keys(v), "the View keeps its state")
	w, err := db.View(ctx)
	require.NoError(t, err)
	require.False(t, w.local, "keys created since: the View comes from the owner")
	require.Equal(t, []string{"a", "aa", "b"}, keys(w))
	require.NoError(t, w.Close())
	require.NoError(t, db.Close())
	require.NoError(t, v.Close())
	require.NoError(t, v.Close())
	require.Empty(t, slices.Collect(func(yield func(string) bool) {
		for k := range v.All() {
			yield(k)
		}
	}), "nothing after Close")
}
