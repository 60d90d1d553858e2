package cborhead

import (
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"
)

// TestAppendMatchesLibrary checks every head length against what the CBOR
// library writes for an unsigned integer, and Size against Append.
func TestAppendMatchesLibrary(t *testing.T) {
	for _, v := range headValues {
		want, err := cbor.Marshal(v)
		require.NoError(t, err)
		got := Append(nil, Uint, v)
		require.Equal(t, want, got, "%d", v)
		require.Len(t, got, Size(v), "%d", v)
		for _, major := range []byte{Bytes, Array} {
			h := Append(nil, major, v)
			require.Equal(t, major<<5|got[0]&0x1f, h[0], "%d", v)
			require.Equal(t, got[1:], h[1:], "%d", v)
		}
	}
}
