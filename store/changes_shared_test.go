package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// TestRingSharesOneDecodingOfASetOrDelete: the ring decodes an entry that
// is one set or one delete once, and every later watcher gets the same
// change, equal to what Changes makes of it; any other entry is left to
// Changes.
func TestRingSharesOneDecodingOfASetOrDelete(t *testing.T) {
	ctx := context.Background()
	e, r := watchedEngine(t)
	var err error

	cmds := []store.Command{set("a", "1"), set("e", ""), del("a"), bat(mset("c", "3"), mdel("d")), clr()}
	for _, c := range cmds {
		_, err = update(ctx, e, c, store.AckApplied)
		require.NoError(t, err)
	}
	for i, cmd := range cmds {
		lsn := uint64(i + 1)
		en, c, st := r.LookupChange(lsn)
		require.Equal(t, store.RingHit, st)
		require.Equal(t, lsn, en.LSN)
		want, err := store.Changes(nil, mustEncode(cmd))
		require.NoError(t, err)
		if cmd.Op == store.OpBatch || cmd.Op == store.OpClear {
			require.Nil(t, c, "%v: not shared", cmd.Op)
			continue
		}
		require.Equal(t, want, []store.Change{*c})
		_, again, _ := r.LookupChange(lsn)
		require.Same(t, c, again, "decoded once")
	}
	_, c, st := r.LookupChange(uint64(len(cmds) + 1))
	require.Equal(t, store.RingAhead, st)
	require.Nil(t, c)
}

// watchedEngine starts an engine with one watcher attached, both ended when
// the test ends, and returns it and its ring.
func watchedEngine(t *testing.T) (*kvEngine, *store.Ring) {
	t.Helper()
	e := newKVEngine(0)
	e.Start(newAutoSink(), actor.Options{})
	t.Cleanup(func() { _ = e.Close() })
	r, _, err := e.Watch(context.Background())
	require.NoError(t, err)
	t.Cleanup(e.Unwatch)
	return e, r
}
