package store

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestChangesOfALargeSetDoNotPinTheValue: a set's change puts its key and
// value in one allocation only while the value is small (up to
// maxSharedValue bytes), so a caller that keeps the key of a change and
// drops its value (a set of keys seen, say) keeps at most that many more
// bytes alive per key; a larger value gets an allocation of its own.
func TestChangesOfALargeSetDoNotPinTheValue(t *testing.T) {
	for _, n := range []int{1, 100, maxSharedValue, maxSharedValue + 1, 64 << 10} {
		data, _ := EncodeSet("key", make([]byte, n))
		got, err := Changes(nil, data)
		require.NoError(t, err)
		c := got[0]
		require.Equal(t, "key", c.Key)
		require.Len(t, c.Value, n)
		keyEnd := uintptr(unsafe.Pointer(unsafe.StringData(c.Key))) + uintptr(len(c.Key))
		shared := keyEnd == uintptr(unsafe.Pointer(unsafe.SliceData(c.Value)))
		require.Equal(t, n <= maxSharedValue, shared, "value of %d bytes: shares the key's allocation", n)
	}
}
