package hurrah

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRangeCacheSeesOverwrites scans the same ranges again and again
// through Views (which fills the store's scan cache, README "Range
// scans"), overwrites keys in them between and during the scans, and
// checks that every scan sees every value as of its View: an overwrite
// made while a View is open, and one made with none open, both show in
// the next View's scans, and never in an older View's.
func TestRangeCacheSeesOverwrites(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	const keys = 3000
	m := rangeModel{}
	set := func(k, v string) {
		require.NoError(t, db.SetBytes(ctx, k, []byte(v)))
		m[k] = rangeEntry{v: v}
	}
	for i := range keys {
		set(fmt.Sprintf("k%05d", i), "first")
	}
	rng := rand.New(rand.NewPCG(14, 15))
	scan := func(v *View, want rangeModel, start string) {
		t.Helper()
		seq, err := v.Range(start, "", &RangeOptions{Limit: 200})
		require.NoError(t, err)
		require.Equal(t, want.scan(0, start, "", RangeOptions{Limit: 200}), collectRange(t, want, seq))
	}
	for round := range 60 {
		start := fmt.Sprintf("k%05d", rng.IntN(keys))
		old, err := db.View(ctx)
		require.NoError(t, err)
		before := rangeModel{}
		for k, e := range m {
			before[k] = e
		}
		for range 3 {
			scan(old, before, start)
		}
		for i := range 20 { // while old is open: into the overlay
			set(fmt.Sprintf("k%05d", rng.IntN(keys)), fmt.Sprintf("open %d.%d", round, i))
		}
		scan(old, before, start)
		require.NoError(t, old.Close())
		for range 3 {
			v, err := db.View(ctx)
			require.NoError(t, err)
			scan(v, m, start)
			require.NoError(t, v.Close())
		}
		for i := range 20 { // none open: into the base map, once folded
			k := fmt.Sprintf("k%05d", rng.IntN(keys))
			if rng.IntN(2) == 0 {
				k = fmt.Sprintf("%s%d", start[:5], rng.IntN(10)) // in the scanned range, often
			}
			set(k, fmt.Sprintf("closed %d.%d", round, i))
		}
	}
}
