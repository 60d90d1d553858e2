package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

func TestKVApply(t *testing.T) {
	ab := map[string]string{"a": "1", "b": "2"}
	tests := []struct {
		name    string
		before  map[string]string
		cmd     store.Command
		want    store.Result
		changed bool
		wantErr bool
		after   map[string]string
	}{
		{name: "set new", before: ab, cmd: set("c", "3"), changed: true,
			after: map[string]string{"a": "1", "b": "2", "c": "3"}},
		{name: "set overwrites", before: ab, cmd: set("a", "x"), changed: true,
			after: map[string]string{"a": "x", "b": "2"}},
		{name: "set same value", before: ab, cmd: set("a", "1"), changed: true, after: ab},
		{name: "set empty key", cmd: set("", "v"), changed: true,
			after: map[string]string{"": "v"}},
		{name: "set non-UTF-8 key", cmd: set("\xff\xfe", "v"), changed: true,
			after: map[string]string{"\xff\xfe": "v"}},
		{name: "set nil value", cmd: store.Command{Op: store.OpSet, Key: "k"}, changed: true,
			after: map[string]string{"k": ""}},
		{name: "delete existing", before: ab, cmd: del("a"), want: store.Result{Found: true},
			changed: true, after: map[string]string{"b": "2"}},
		{name: "delete missing", before: ab, cmd: del("z"), changed: false, after: ab},
		{name: "delete from empty", cmd: del("a"), changed: false, after: map[string]string{}},
		{name: "clear", before: ab, cmd: clr(), changed: true, after: map[string]string{}},
		{name: "clear empty", cmd: clr(), changed: false, after: map[string]string{}},
		{name: "batch", before: ab, cmd: bat(mset("c", "3"), mdel("a"), mset("b", "x")),
			changed: true, after: map[string]string{"b": "x", "c": "3"}},
		{name: "batch later mutation wins", before: ab,
			cmd:     bat(mset("a", "x"), mdel("a"), mdel("b"), mset("b", "y")),
			changed: true, after: map[string]string{"b": "y"}},
		{name: "batch empty", before: ab, cmd: bat(), changed: false, after: ab},
		{name: "batch nil", before: ab, cmd: store.Command{Op: store.OpBatch}, changed: false, after: ab},
		{name: "batch with clear is all or nothing", before: ab,
			cmd:     bat(mset("a", "x"), mdel("b"), store.Mutation{Op: store.OpClear}),
			wantErr: true, after: ab},
		{name: "batch with nested batch op", before: ab,
			cmd: bat(mset("c", "3"), store.Mutation{Op: store.OpBatch}), wantErr: true, after: ab},
		{name: "batch with zero op first", before: ab,
			cmd: bat(store.Mutation{Key: "a"}, mset("c", "3")), wantErr: true, after: ab},
		{name: "batch with unknown op", before: ab,
			cmd: bat(mdel("a"), store.Mutation{Op: 99, Key: "c"}), wantErr: true, after: ab},
		{name: "zero op", before: ab, cmd: store.Command{Key: "a"}, wantErr: true, after: ab},
		{name: "unknown op", before: ab, cmd: store.Command{Op: 99, Key: "a"}, wantErr: true, after: ab},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kv := kvWith(t, tt.before)
			r, changed, err := kv.Apply(tt.cmd)
			if tt.wantErr {
				require.Error(t, err)
				require.False(t, changed, "an error means nothing changed")
			} else {
				require.NoError(t, err)
				require.Equal(t, tt.want, r)
				require.Equal(t, tt.changed, changed)
			}
			require.Equal(t, tt.after, kvState(kv))
		})
	}
}

// TestKVApplyKeepsValue checks that a set stores nil and empty values as
// present keys.
func TestKVApplyKeepsValue(t *testing.T) {
	kv := store.NewKV(0)
	for _, c := range []store.Command{
		{Op: store.OpSet, Key: "nil"},
		{Op: store.OpSet, Key: "empty", Value: []byte{}},
		bat(store.Mutation{Op: store.OpSet, Key: "bnil"}),
	} {
		_, changed, err := kv.Apply(c)
		require.NoError(t, err)
		require.True(t, changed)
	}
	for _, k := range []string{"nil", "empty", "bnil"} {
		r := kv.Query(store.Query{Op: store.QueryGet, Key: k})
		require.True(t, r.Found, k)
		require.Empty(t, r.Value, k)
	}
	require.Equal(t, 3, kv.Query(store.Query{Op: store.QueryLen}).N)
}

func TestKVQuery(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1", "b": "2", "\xff\xfe": "3"})
	tests := []struct {
		name string
		q    store.Query
		want store.Result
	}{
		{"get", store.Query{Op: store.QueryGet, Key: "a"}, store.Result{Value: []byte("1"), Found: true}},
		{"get non-UTF-8", store.Query{Op: store.QueryGet, Key: "\xff\xfe"}, store.Result{Value: []byte("3"), Found: true}},
		{"get missing", store.Query{Op: store.QueryGet, Key: "z"}, store.Result{}},
		{"len", store.Query{Op: store.QueryLen}, store.Result{N: 3}},
		{"zero op", store.Query{Key: "a"}, store.Result{}},
		{"unknown op", store.Query{Op: 99, Key: "a"}, store.Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, kv.Query(tt.q))
		})
	}
	t.Run("keys", func(t *testing.T) {
		r := kv.Query(store.Query{Op: store.QueryKeys})
		require.ElementsMatch(t, []string{"a", "b", "\xff\xfe"}, r.Keys)
		require.Equal(t, 3, r.N)
	})
	t.Run("keys of empty", func(t *testing.T) {
		r := store.NewKV(0).Query(store.Query{Op: store.QueryKeys})
		require.Empty(t, r.Keys)
		require.Zero(t, r.N)
	})
	t.Run("queries change nothing", func(t *testing.T) {
		require.Equal(t, map[string]string{"a": "1", "b": "2", "\xff\xfe": "3"}, kvState(kv))
	})
}

// TestKVClearThenReuse checks the map is usable after a clear.
func TestKVClearThenReuse(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1"})
	_, changed, err := kv.Apply(clr())
	require.NoError(t, err)
	require.True(t, changed)
	_, changed, err = kv.Apply(set("b", "2"))
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, map[string]string{"b": "2"}, kvState(kv))
}
