package cborhead

import (
	"math"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// headValues are arguments at and around every boundary between head
// lengths.
var headValues = []uint64{0, 1, 23, 24, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff, 0x100000000, math.MaxUint64}

// fits reports whether v can be written with an argument of size bytes.
func fits(v uint64, size int) bool {
	if size == 0 {
		return v < 24
	}
	return size == 8 || v < 1<<(8*size)
}

// TestReadMatchesLibrary reads every head length, shortest or not, and
// checks the argument against what the CBOR library reads from the same
// bytes as an unsigned integer, and the major type and size against the
// bytes.
func TestReadMatchesLibrary(t *testing.T) {
	for _, v := range headValues {
		for _, size := range []int{0, 1, 2, 4, 8} {
			if !fits(v, size) {
				continue
			}
			b := fuzzkit.Head(nil, Uint, v, size)
			var want uint64
			require.NoError(t, cbor.Unmarshal(b, &want), "%x", b)
			require.Equal(t, v, want, "%x", b)
			for _, major := range []byte{Uint, Bytes, Array} {
				h := fuzzkit.Head(nil, major, v, size)
				got, arg, n, err := Read(append(h, 0xf6)) // something follows
				require.NoError(t, err, "%x", h)
				require.Equal(t, major, got, "%x", h)
				require.Equal(t, want, arg, "%x", h)
				require.Equal(t, len(h), n, "%x", h)
			}
		}
	}
}

// TestReadWhatAppendWrites reads back what Append writes, at every head
// length.
func TestReadWhatAppendWrites(t *testing.T) {
	for _, v := range headValues {
		for _, major := range []byte{Uint, Bytes, Array} {
			h := Append(nil, major, v)
			got, arg, n, err := Read(h)
			require.NoError(t, err)
			require.Equal(t, major, got)
			require.Equal(t, v, arg)
			require.Equal(t, Size(v), n)
		}
	}
}

// TestReadBytesMatchesLibrary checks a byte string's length head, in every
// length form, against the CBOR library's reading of the whole string.
func TestReadBytesMatchesLibrary(t *testing.T) {
	for _, v := range []uint64{0, 1, 23, 24, 0xff, 0x100, 0x10000} {
		for _, size := range []int{0, 1, 2, 4, 8} {
			if !fits(v, size) {
				continue
			}
			b := fuzzkit.Head(nil, Bytes, v, size)
			b = append(b, make([]byte, v)...)
			var want []byte
			require.NoError(t, cbor.Unmarshal(b, &want))
			_, arg, n, err := Read(b)
			require.NoError(t, err)
			require.Equal(t, uint64(len(want)), arg)
			require.Equal(t, len(b)-len(want), n)
		}
	}
}

// TestReadRefuses checks the errors: no data, data that ends inside the
// head at every length, and the indefinite and reserved forms, each of
// which the CBOR library refuses as an unsigned integer too.
func TestReadRefuses(t *testing.T) {
	_, _, _, err := Read(nil)
	require.ErrorIs(t, err, ErrEnd)
	for _, size := range []int{1, 2, 4, 8} {
		h := fuzzkit.Head(nil, Array, 0, size)
		for cut := 1; cut < len(h); cut++ {
			major, arg, n, err := Read(h[:cut])
			require.ErrorIs(t, err, ErrTruncated, "%x", h[:cut])
			require.Equal(t, Array, major)
			require.Zero(t, arg)
			require.Zero(t, n)
			var v uint64
			require.Error(t, cbor.Unmarshal(fuzzkit.Head(nil, Uint, 0, size)[:cut], &v))
		}
	}
	for ai := byte(28); ai <= 31; ai++ {
		major, _, n, err := Read([]byte{Bytes<<5 | ai, 0, 0, 0, 0, 0, 0, 0, 0})
		require.ErrorIs(t, err, ErrIndefinite, "%d", ai)
		require.Equal(t, Bytes, major)
		require.Zero(t, n)
		var v uint64
		require.Error(t, cbor.Unmarshal([]byte{Uint<<5 | ai}, &v), "%d", ai)
	}
}

// FuzzRead checks Read against the CBOR library on any bytes that start
// with an unsigned integer: each takes the same ones and reads the same
// value from them.
func FuzzRead(f *testing.F) {
	for _, v := range headValues {
		f.Add(Append(nil, Uint, v))
	}
	f.Add([]byte{0x1b, 1, 2, 3})
	f.Add([]byte{0x1f})
	f.Fuzz(func(t *testing.T, b []byte) {
		major, arg, n, err := Read(b)
		if len(b) == 0 || b[0]>>5 != Uint {
			return
		}
		require.Equal(t, Uint, major)
		var want uint64
		rest, lerr := cbor.UnmarshalFirst(b, &want)
		if err != nil {
			require.Error(t, lerr, "Read refused what the library takes: %x", b)
			return
		}
		require.NoError(t, lerr, "Read took what the library refuses: %x", b)
		require.Equal(t, want, arg, "%x", b)
		require.Equal(t, len(b)-len(rest), n, "%x", b)
	})
}
