package store_test

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// A closed engine and the state it held are garbage at the first
// collection after Close: nothing the process keeps points into them. The
// engine's request pool once did (the runtime lists every sync.Pool that
// was used until two collections later, and the pool sat inside the
// Engine), so a store closed and opened again held both copies through
// the next Open's collections: the restart benchmark's 4M-key figure
// doubled its marking work that way.
func TestClosedEngineFreedByOneCollection(t *testing.T) {
	kv, eng := closedEngine(t)
	runtime.GC()
	require.Nil(t, kv.Value(), "the state of a closed engine survived a collection")
	require.Nil(t, eng.Value(), "a closed engine survived a collection")
}

// closedEngine starts an engine, sends it requests (so that its pool is
// used), closes it and returns weak pointers to it and its state.
func closedEngine(t *testing.T) (weak.Pointer[store.KV], weak.Pointer[store.Engine[store.Command, store.Query, store.Result]]) {
	kv := store.NewKV(0)
	e := store.New[store.Command, store.Query, store.Result](kv, store.DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	for range 10 {
		_, err := update(context.Background(), e, set("a", "1"), store.AckApplied)
		require.NoError(t, err)
		if v, ok := get(t, e, "a"); !ok || v != "1" {
			t.Fatalf("get a = %q, %v", v, ok)
		}
	}
	require.NoError(t, e.Close())
	return weak.Make(kv), weak.Make(e)
}
