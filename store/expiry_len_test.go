package store_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// queryLen returns what QueryLen answers on kv.
func queryLen(kv *store.KV) int { return kv.Query(store.Query{Op: store.QueryLen}).N }

// While more keys are due than the owner may visit in a turn, QueryLen
// answers -1 rather than walking them all, and an image counts them
// instead; with few due, or none, it counts them itself.
func TestQueryLenGivesUpWhenManyAreDue(t *testing.T) {
	defer store.SetLenBudget(8)()
	c := &fakeClock{}
	c.ns.Store(1000)
	kv := clockedKV(c)
	for i := range 20 {
		mustApply(t, kv, setAt(fmt.Sprintf("due-%02d", i), "v", 2000))
	}
	mustApply(t, kv, setAt("late", "v", 9000))
	for i := range 5 {
		mustApply(t, kv, set(fmt.Sprintf("keep-%d", i), "v"))
	}
	require.Equal(t, 26, queryLen(kv), "nothing due: counted at no cost")
	c.ns.Store(2000)
	require.Equal(t, -1, queryLen(kv), "20 due: more than the budget of 8")
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	require.Equal(t, 6, img.(store.KVImage).LiveLen())
	defer store.SetLenBudget(1 << 20)()
	require.Equal(t, 6, queryLen(kv))
	c.ns.Store(9000)
	require.Equal(t, 5, queryLen(kv))
	require.Equal(t, 5, img.(store.KVImage).LiveLen())
}

// An image knows the earliest deadline it holds could be no earlier than
// the heap's root when it was taken: before that its reads look up no
// deadline, from then on they hide each expired key, and a deadline pushed
// back before the image was taken (the root's low is then earlier than
// any deadline) keeps its key.
func TestImageHidesFromTheEarliestDeadline(t *testing.T) {
	c := &fakeClock{}
	c.ns.Store(1000)
	kv := clockedKV(c)
	mustApply(t, kv, setAt("a", "1", 2000))
	mustApply(t, kv, setAt("b", "2", 2000))
	mustApply(t, kv, setAt("b", "2", 5000)) // pushed back: its heap entry stays at 2000
	mustApply(t, kv, set("c", "3"))
	im, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	img := im.(store.KVImage)
	mustApply(t, kv, setAt("c", "3", 1500)) // after the image: not in it
	live := func() []string {
		var keys []string
		for k := range img.Live {
			keys = append(keys, k)
		}
		return keys
	}
	c.ns.Store(1999)
	require.Equal(t, 3, img.LiveLen())
	require.ElementsMatch(t, []string{"a", "b", "c"}, live())
	c.ns.Store(2000)
	require.Equal(t, 2, img.LiveLen())
	require.ElementsMatch(t, []string{"b", "c"}, live())
	_, ok := img.Get("a")
	require.False(t, ok)
	_, ok = img.Get("b")
	require.True(t, ok)
	c.ns.Store(5000)
	require.Equal(t, 1, img.LiveLen())
	require.ElementsMatch(t, []string{"c"}, live())
}
