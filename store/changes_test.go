package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

func TestChanges(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  store.Command
		want []store.Change
	}{
		{"set", set("k", "v"), []store.Change{{Op: store.OpSet, Key: "k", Value: []byte("v")}}},
		{"empty value", set("k", ""), []store.Change{{Op: store.OpSet, Key: "k", Value: []byte{}}}},
		{"empty key and value", set("", ""), []store.Change{{Op: store.OpSet, Key: "", Value: []byte{}}}},
		{"delete", del("k"), []store.Change{{Op: store.OpDelete, Key: "k"}}},
		{"clear", clr(), []store.Change{{Op: store.OpClear}}},
		{"batch", bat(mset("a", "1"), mdel("b"), mset("a", "2")), []store.Change{
			{Op: store.OpSet, Key: "a", Value: []byte("1")},
			{Op: store.OpDelete, Key: "b"},
			{Op: store.OpSet, Key: "a", Value: []byte("2")},
		}},
		{"set at", store.Command{Op: store.OpSetAt, Key: "k", Value: []byte("v"), At: 1000},
			[]store.Change{{Op: store.OpSet, Key: "k", Value: []byte("v"), At: 1000}}},
		{"expire at", store.Command{Op: store.OpExpireAt, Key: "k", At: 7},
			[]store.Change{{Op: store.OpExpireAt, Key: "k", At: 7}}},
		{"persist", store.Command{Op: store.OpExpireAt, Key: "k"},
			[]store.Change{{Op: store.OpExpireAt, Key: "k"}}},
		{"expire", store.Command{Op: store.OpExpire, Batch: []store.Mutation{mdel("a"), mdel("b")}},
			[]store.Change{{Op: store.OpExpire, Key: "a"}, {Op: store.OpExpire, Key: "b"}}},
		{"batch with a deadline", bat(mset("a", "1"), store.Mutation{Op: store.OpSetAt, Key: "b", Value: []byte("2"), At: 5}),
			[]store.Change{{Op: store.OpSet, Key: "a", Value: []byte("1")}, {Op: store.OpSet, Key: "b", Value: []byte("2"), At: 5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := mustEncode(tc.cmd)
			got, err := store.Changes([]store.Change{{Key: "kept"}}, data)
			require.NoError(t, err)
			require.Equal(t, append([]store.Change{{Key: "kept"}}, tc.want...), got)
			for _, c := range got[1:] {
				if len(c.Value) > 0 {
					c.Value[0] ^= 0xff // a copy: data is unchanged
				}
			}
			require.Equal(t, mustEncode(tc.cmd), data)
		})
	}
}

// TestChangesOfASetOwnTheirBytes: a set's change takes one allocation for
// its key and value together, and the value is its caller's: writing to it
// or appending to it changes neither the key nor the entry.
func TestChangesOfASetOwnTheirBytes(t *testing.T) {
	data := mustEncode(set("key-1", "value"))
	dst := make([]store.Change, 0, 1)
	if n := testing.AllocsPerRun(100, func() { dst, _ = store.Changes(dst[:0], data) }); n != 1 {
		t.Errorf("a set's change took %v allocations, want 1", n)
	}
	got, err := store.Changes(nil, data)
	require.NoError(t, err)
	c := got[0]
	c.Value[0] = 'V'
	longer := append(c.Value, "-and-more"...)
	longer[1] = 'A'
	require.Equal(t, "key-1", c.Key)
	require.Equal(t, "Value", string(c.Value))
	require.Equal(t, mustEncode(set("key-1", "value")), data)
}

// TestChangesRefusesUnknownOps: an operation the feed does not know is a
// typed error, never a silent skip.
func TestChangesRefusesUnknownOps(t *testing.T) {
	type cmd struct {
		_     struct{} `cbor:",toarray"`
		Op    store.Op
		Key   string
		Value []byte
		Batch []store.Mutation
	}
	for _, op := range []store.Op{store.OpCAS, store.OpSetAbsent, 99} {
		data, err := cbor.Marshal(cmd{Op: op, Key: "k"})
		require.NoError(t, err)
		_, err = store.Changes(nil, data)
		require.Error(t, err, "op %d", op)
	}
	for _, data := range [][]byte{nil, {0xff}, []byte("not cbor")} {
		_, err := store.Changes(nil, data)
		require.Error(t, err)
	}
}

func TestRingPublishesOnlyWhileWatched(t *testing.T) {
	s := newAutoSink()
	e := newKVEngine(0)
	e.Start(s, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()

	_, err := update(ctx, e, set("a", "1"), store.AckApplied)
	require.NoError(t, err)
	r, last, err := e.Watch(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, last)
	_, state := r.Lookup(1)
	require.Equal(t, store.RingAhead, state, "applied before the watcher came")

	moved := r.Moved()
	_, err = update(ctx, e, set("b", "2"), store.AckApplied)
	require.NoError(t, err)
	<-moved
	en, state := r.Lookup(2)
	require.Equal(t, store.RingHit, state)
	require.Equal(t, mustEncode(set("b", "2")), en.Data)

	big := strings.Repeat("v", store.RingMaxEntry)
	_, err = update(ctx, e, set("big", big), store.AckApplied)
	require.NoError(t, err)
	_, state = r.Lookup(3)
	require.Equal(t, store.RingStub, state, "too large to keep")

	e.Unwatch()
	_, err = update(ctx, e, set("c", "3"), store.AckApplied)
	require.NoError(t, err)
	_, state = r.Lookup(4)
	require.Equal(t, store.RingAhead, state, "published with no watcher")

	// Overwritten slots say so.
	_, _, err = e.Watch(ctx)
	require.NoError(t, err)
	defer e.Unwatch()
	for i := range store.RingSize + 1 {
		_, err = update(ctx, e, set("d", fmt.Sprint(i)), store.AckApplied)
		require.NoError(t, err)
	}
	_, state = r.Lookup(5)
	require.Equal(t, store.RingMissing, state)
	_, state = r.Lookup(5 + store.RingSize)
	require.Equal(t, store.RingHit, state)
}

func TestWatchOnClosedEngine(t *testing.T) {
	e := startMem(t, actor.Options{})
	require.NoError(t, e.Close())
	_, _, err := e.Watch(context.Background())
	require.ErrorIs(t, err, store.ErrClosed)
}
