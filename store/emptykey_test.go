package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// TestKVEngineRefusesEmptyKey: a key-value engine refuses, as damage, a
// replayed command or a restored snapshot record with the empty key, which
// the map itself would hold; other keys pass.
func TestKVEngineRefusesEmptyKey(t *testing.T) {
	for name, c := range map[string]store.Command{
		"set":       set("", "v"),
		"delete":    del(""),
		"batch":     {Op: store.OpBatch, Batch: []store.Mutation{{Op: store.OpSet, Key: "k"}, {Op: store.OpDelete, Key: ""}}},
		"set at":    {Op: store.OpSetAt, Value: []byte("v"), At: 5},
		"expire at": {Op: store.OpExpireAt, At: 5},
		"expire":    {Op: store.OpExpire, Batch: []store.Mutation{{Op: store.OpDelete, Key: ""}}},
	} {
		t.Run("replay "+name, func(t *testing.T) {
			data, err := store.EncodeCommand(c)
			require.NoError(t, err)
			eng := store.NewKVEngine(store.NewKV(0))
			require.ErrorIs(t, eng.Replay(handoff.Entry{LSN: 1, Data: data}), store.ErrBadEntry)
			require.Zero(t, eng.LastLSN())
		})
	}
	records := func(keys ...string) func(func(k, v []byte) bool) {
		return func(yield func(k, v []byte) bool) {
			for _, k := range keys {
				if !yield([]byte(k), []byte("v")) {
					return
				}
			}
		}
	}
	t.Run("restore", func(t *testing.T) {
		eng := store.NewKVEngine(store.NewKV(0))
		require.ErrorIs(t, eng.Restore(3, 3, records("a", "", "b")), store.ErrBadEntry)
		require.ErrorIs(t, eng.Restore(3, 1, records("", "a")), store.ErrBadEntry)
		require.Zero(t, eng.LastLSN())
	})
	t.Run("restore with deadlines", func(t *testing.T) {
		eng := store.NewKVEngine(store.NewKV(0))
		err := eng.RestoreAt(3, 2, func(yield func(k, v []byte, at int64) bool) {
			_ = yield([]byte("a"), []byte("v"), 5) && yield(nil, []byte("v"), 5)
		})
		require.ErrorIs(t, err, store.ErrBadEntry)
		require.Zero(t, eng.LastLSN())
	})
	t.Run("control", func(t *testing.T) {
		kv := store.NewKV(0)
		eng := store.NewKVEngine(kv)
		require.NoError(t, eng.Restore(3, 2, records("a", "b")))
		data, err := store.EncodeCommand(set("c", "v"))
		require.NoError(t, err)
		require.NoError(t, eng.Replay(handoff.Entry{LSN: 4, Data: data}))
		require.Equal(t, 3, store.Size(kv))
	})
}
