package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// TestValueReadBackHasNoRoom checks that a value read from the map, by the
// owner or from an image, has no room beyond its bytes, so that a caller's
// append copies it instead of writing into the bytes after it (here the
// rest of the slice the value was cut from, as a value kept inside its
// journal record is), and that empty values read back empty.
func TestValueReadBackHasNoRoom(t *testing.T) {
	kv := store.NewKV(0)
	buf := []byte("abcdefgh")
	mustApply(t, kv, store.Command{Op: store.OpSet, Key: "k", Value: buf[:3]})
	mustApply(t, kv, store.Command{Op: store.OpSetAt, Key: "t", Value: buf[:3], At: 1 << 62})
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	reads := map[string]func(string) ([]byte, bool){
		"owner": kv.Get,
		"image": img.(store.KVImage).Get,
	}
	for name, get := range reads {
		for _, key := range []string{"k", "t"} {
			v, ok := get(key)
			require.True(t, ok, "%s %s", name, key)
			require.Equal(t, "abc", string(v), "%s %s", name, key)
			require.Equal(t, len(v), cap(v), "%s %s", name, key)
			_ = append(v, 'Z')
			require.Equal(t, "abcdefgh", string(buf), "%s %s: the append wrote past the value", name, key)
		}
	}
	mustApply(t, kv, store.Command{Op: store.OpSet, Key: "nil", Value: nil})
	mustApply(t, kv, store.Command{Op: store.OpSet, Key: "empty", Value: []byte{}})
	for _, key := range []string{"nil", "empty"} {
		v, ok := kv.Get(key)
		require.True(t, ok, key)
		require.Empty(t, v, key)
	}
	v, _ := kv.Get("nil")
	require.Nil(t, v, "a nil value reads back nil")
}

// TestReadWithoutDeadlineReadsNoClock checks that, in a KV some of whose
// keys have deadlines, a read of a key without one reads no clock, from
// the owner or from an image, and a read of a key with one reads it once.
func TestReadWithoutDeadlineReadsNoClock(t *testing.T) {
	reads := 0
	kv := store.NewKV(0)
	kv.SetClock(func() int64 { reads++; return 1000 }, false)
	mustApply(t, kv, store.Command{Op: store.OpSet, Key: "plain", Value: []byte("p")})
	mustApply(t, kv, store.Command{Op: store.OpSetAt, Key: "timed", Value: []byte("t"), At: 5000})
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	defer release()
	gets := map[string]func(string) ([]byte, bool){"owner": kv.Get, "image": img.(store.KVImage).Get}
	for name, get := range gets {
		for key, want := range map[string]int{"plain": 0, "timed": 1} {
			reads = 0
			_, ok := get(key)
			require.True(t, ok, "%s %s", name, key)
			require.Equal(t, want, reads, "%s %s: clock reads", name, key)
		}
	}
}
