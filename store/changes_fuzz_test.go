package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzChanges feeds arbitrary bytes to Changes: it never panics, and where
// its fast path takes them (a set or a delete of one key) it gives what
// the general path through decodeCommand gives, value and error alike.
func FuzzChanges(f *testing.F) {
	for _, s := range simpleSeeds {
		f.Add(s)
	}
	for _, c := range commandSeeds() {
		b, err := EncodeCommand(c)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Changes(nil, b)
		want, werr := decodedChanges(nil, b)
		require.Equal(t, werr == nil, err == nil, "%x: %v, %v", b, err, werr)
		require.Equal(t, want, got, "%x", b)
		for i := range want {
			require.Equal(t, want[i].Value == nil, got[i].Value == nil, "%x", b)
		}
	})
}
