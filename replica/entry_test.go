package replica

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEntryRoundTrip(t *testing.T) {
	ops := []op{
		{kind: opSet, key: "a", value: []byte("1")},
		{kind: opSet, key: "b", value: []byte{}, at: -1},
		{kind: opDelete, key: "c"},
		{kind: opClear},
		{kind: opSet, key: "d", value: []byte("4"), at: 1 << 62},
	}
	got, err := decodeEntry(appendEntry(nil, ops))
	require.NoError(t, err)
	require.Len(t, got, len(ops))
	for i := range ops {
		require.Equal(t, ops[i].kind, got[i].kind)
		require.Equal(t, ops[i].key, got[i].key)
		require.Equal(t, string(ops[i].value), string(got[i].value))
		require.Equal(t, ops[i].at, got[i].at)
	}
}

func TestEntryRefusesBadBytes(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":            nil,
		"version":          {2, 0},
		"huge count":       {1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"unknown op":       {1, 1, 9},
		"key past end":     {1, 1, 2, 5, 'a'},
		"trailing bytes":   {1, 0, 0},
		"empty key":        {1, 1, 2, 0},
		"no deadline":      {1, 1, 1, 1, 'a', 0},
		"bad length":       {1, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"min int deadline": append([]byte{1, 1, 1, 1, 'a', 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		_, err := decodeEntry(b)
		require.ErrorIs(t, err, ErrBadEntry, name)
	}
}

// FuzzDecodeEntry: no input panics, and whatever decodes encodes back to
// the same bytes.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(appendEntry(nil, []op{{kind: opSet, key: "a", value: []byte("1"), at: 5}, {kind: opDelete, key: "b"}, {kind: opClear}}))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := decodeEntry(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadEntry)
			return
		}
		require.Equal(t, b, appendEntry(nil, ops))
	})
}
