package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

func cas(k, old, v string) store.Command {
	return store.Command{Op: store.OpCAS, Key: k, Value: []byte(v), Old: []byte(old)}
}

func TestKVApplyCAS(t *testing.T) {
	ab := map[string]string{"a": "1", "b": "2"}
	tests := []struct {
		name    string
		before  map[string]string
		cmd     store.Command
		swapped bool
		after   map[string]string
	}{
		{name: "old matches", before: ab, cmd: cas("a", "1", "x"), swapped: true,
			after: map[string]string{"a": "x", "b": "2"}},
		{name: "old matches, same new", before: ab, cmd: cas("a", "1", "1"), swapped: true, after: ab},
		{name: "old differs", before: ab, cmd: cas("a", "2", "x"), after: ab},
		{name: "old is a prefix", before: ab, cmd: cas("a", "", "x"), after: ab},
		{name: "missing key", before: ab, cmd: cas("z", "1", "x"), after: ab},
		{name: "missing key, nil old", before: ab,
			cmd: store.Command{Op: store.OpCAS, Key: "z", Value: []byte("x")}, after: ab},
		{name: "empty store", cmd: cas("a", "1", "x"), after: map[string]string{}},
		{name: "empty value, nil old", before: map[string]string{"e": ""},
			cmd: store.Command{Op: store.OpCAS, Key: "e", Value: []byte("x")}, swapped: true,
			after: map[string]string{"e": "x"}},
		{name: "binary old", before: map[string]string{"\xff": "\x00\xfe"},
			cmd: cas("\xff", "\x00\xfe", "\x80"), swapped: true, after: map[string]string{"\xff": "\x80"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := kvWith(t, tt.before)
			r, changed, err := kv.Apply(tt.cmd)
			require.NoError(t, err)
			require.Equal(t, tt.swapped, changed, "changed")
			require.Equal(t, store.Result{Found: tt.swapped}, r)
			require.Equal(t, tt.after, kvState(kv))
		})
	}
}

// TestCommandOldNotEncoded pins the encoding of a set, byte for byte, and
// checks that Old never reaches it: adding Old changed nothing on disk.
func TestCommandOldNotEncoded(t *testing.T) {
	for _, tt := range []struct {
		c   store.Command
		hex string
	}{
		{set("k", "v"), "84 01 41 6b 41 76 f6"},
		{store.Command{Op: store.OpSet, Key: "key\xff", Value: []byte{}}, "84 01 44 6b6579ff 40 f6"},
		{del("k"), "84 02 41 6b f6 f6"},
	} {
		require.Equal(t, unhex(t, tt.hex), mustEncode(tt.c), "%+v", tt.c)
		withOld := tt.c
		withOld.Old = []byte("old value")
		require.Equal(t, unhex(t, tt.hex), mustEncode(withOld), "Old must not be encoded")
	}
	// A decoded command never carries Old.
	c, err := store.DecodeCommand(mustEncode(store.Command{Op: store.OpSet, Key: "k", Old: []byte("x")}))
	require.NoError(t, err)
	require.Nil(t, c.Old)
}

// TestDecodeCommandRefusesCAS checks that OpCAS cannot come back from disk,
// whether it was encoded by EncodeCommand (which drops Old) or carries an
// old value as a fifth element.
func TestDecodeCommandRefusesCAS(t *testing.T) {
	for name, data := range map[string][]byte{
		"encoded":                      mustEncode(cas("k", "1", "2")),
		"encoded nil old":              mustEncode(store.Command{Op: store.OpCAS, Key: "k"}),
		"five elements":                cborOf(t, []any{5, []byte("k"), []byte("2"), nil, []byte("1")}),
		"in a batch":                   cborOf(t, []any{4, nil, nil, []any{[]any{5, []byte("k"), []byte("2")}}}),
		"expire if live":               cborOf(t, []any{10, []byte("k"), nil, nil, 5}),
		"expire if live, as a command": cborOf(t, []any{10, []byte("k"), nil, nil}),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := store.DecodeCommand(data)
			require.Error(t, err)
			require.Equal(t, store.Command{}, c)
		})
	}
}

// TestEngineCASJournalsOnlySwaps drives CAS through an engine the way the
// client does: the journaled data is the encoding of the equivalent set.
// A failed CAS reaches the sink not at all; a swap reaches it as that set,
// which replays to the same state.
func TestEngineCASJournalsOnlySwaps(t *testing.T) {
	ctx := context.Background()
	sink := newAutoSink()
	e := newKVEngine(0)
	e.Start(sink, actor.Options{})
	t.Cleanup(func() { _ = e.Close() })

	casAs := func(c store.Command) store.Result {
		r, err := e.Update(ctx, c, mustEncode(set(c.Key, string(c.Value))), store.AckWritten)
		require.NoError(t, err)
		return r
	}
	_, err := update(ctx, e, set("a", "1"), store.AckWritten)
	require.NoError(t, err)
	require.False(t, casAs(cas("a", "0", "x")).Found, "wrong old value")
	require.False(t, casAs(cas("z", "1", "x")).Found, "missing key")
	require.True(t, casAs(cas("a", "1", "2")).Found)
	require.False(t, casAs(cas("a", "1", "3")).Found, "old value now stale")
	require.Equal(t, map[string]string{"a": "2"}, engineState(t, e))

	require.NoError(t, e.Close())
	sink.check(t)
	entries := sink.entries()
	requireContiguous(t, entries, 1)
	require.Len(t, entries, 2, "the set and the one swap")
	require.Equal(t, mustEncode(set("a", "2")), entries[1].Data)

	replayed := newKVEngine(0)
	for _, en := range entries {
		require.NoError(t, replayed.Replay(en))
	}
	replayed.Start(nil, actor.Options{})
	t.Cleanup(func() { _ = replayed.Close() })
	require.Equal(t, map[string]string{"a": "2"}, engineState(t, replayed))
}
