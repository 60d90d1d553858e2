package replica

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// sealed returns b with its checksum, as the leader writes an entry,
// leaving b as it was.
func sealed(b []byte) []byte { return sealEntry(slices.Clone(b)) }

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

// An entry whose checksum holds but that is not well formed is refused
// with ErrBadEntry: every node meets the same bytes and refuses alike.
func TestEntryRefusesBadBytes(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":            nil,
		"version 1":        {1, 0},
		"version 3":        {3, 0},
		"huge count":       {2, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"unknown op":       {2, 1, 9},
		"key past end":     {2, 1, 2, 5, 'a'},
		"trailing bytes":   {2, 0, 0},
		"empty key":        {2, 1, 2, 0},
		"no deadline":      {2, 1, 1, 1, 'a', 0},
		"bad length":       {2, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"min int deadline": append([]byte{2, 1, 1, 1, 'a', 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
	} {
		_, err := decodeEntry(sealed(b))
		require.ErrorIs(t, err, ErrBadEntry, name)
		require.NotErrorIs(t, err, ErrCorruptEntry, name)
	}
}

// Every flipped bit, anywhere in an entry (its tag, its ops, its
// checksum), and every cut, is ErrCorruptEntry, not a write that
// decodes as another; so is a version 1 entry (no checksum), which is
// no longer read.
func TestEntryChecksumCatchesDamage(t *testing.T) {
	good := appendEntry(nil, []op{
		{kind: opSet, key: "user:1", value: []byte("alice"), at: 1 << 40},
		{kind: opDelete, key: "user:2"},
	})
	for i := range good {
		for bit := range 8 {
			b := slices.Clone(good)
			b[i] ^= 1 << bit
			_, err := decodeEntry(b)
			require.ErrorIs(t, err, ErrCorruptEntry, "byte %d bit %d", i, bit)
		}
		_, err := decodeEntry(good[:i])
		require.ErrorIs(t, err, ErrCorruptEntry, "cut at %d", i)
	}
	v1 := []byte{1, 1, 2, 1, 'a'} // delete "a", as version 1 wrote it
	_, err := decodeEntry(v1)
	require.ErrorIs(t, err, ErrCorruptEntry)
}

// FuzzDecodeEntry: no input panics; whatever decodes encodes back to the
// same bytes; and an entry with a checksum that holds (as the leader
// seals it) is never ErrCorruptEntry, only ErrBadEntry if anything. The
// sealed input takes the fuzzer's bytes past the checksum into the ops.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(appendEntry(nil, []op{{kind: opSet, key: "a", value: []byte("1"), at: 5}, {kind: opDelete, key: "b"}, {kind: opClear}}))
	f.Add([]byte{entryVersion, 1, 1, 1, 'a', 1, 'b', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for i, in := range [][]byte{b, sealed(b)} {
			ops, err := decodeEntry(in)
			if err != nil {
				if i == 0 && errors.Is(err, ErrCorruptEntry) {
					continue
				}
				require.ErrorIs(t, err, ErrBadEntry)
				continue
			}
			require.Equal(t, in, appendEntry(nil, ops))
		}
	})
}
