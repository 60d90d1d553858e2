package hurrah

import (
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// getAfterSetBytes stores raw under "raw" with SetBytes and returns the
// error of reading it back with Get[T], as a *DecodeError.
func getAfterSetBytes[T any](t *testing.T, db *DB, raw string) *DecodeError {
	t.Helper()
	require.NoError(t, db.SetBytes(t.Context(), "raw", []byte(raw)))
	_, err := Get[T](t.Context(), db, "raw")
	require.ErrorIs(t, err, ErrDecode)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	got, err := db.GetBytes(t.Context(), "raw")
	require.NoError(t, err)
	require.Equal(t, raw, string(got), "a failed Get leaves the value alone")
	return de
}

// TestGetBytesValueAsTyped: Get[[]byte] (or any T) of bytes stored with
// SetBytes fails with a *DecodeError that names the key, the codec and the
// type, and tells to use GetBytes; not with a bare unexpected EOF.
func TestGetBytesValueAsTyped(t *testing.T) {
	for _, c := range []Codec{CBORCodec{}, JSONCodec{}} {
		t.Run(c.Name(), func(t *testing.T) {
			db := openT(t, "", &Options{Codec: c})
			de := getAfterSetBytes[[]byte](t, db, "hello")
			require.Equal(t, "raw", de.Key)
			require.Equal(t, c.Name(), de.Codec)
			require.Equal(t, "[]byte", de.Type)
			require.Contains(t, de.Error(), "GetBytes")
			require.Contains(t, de.Error(), `key "raw"`)

			de = getAfterSetBytes[string](t, db, "hello")
			require.Equal(t, "string", de.Type)
			require.Contains(t, de.Error(), "GetBytes", "malformed bytes suggest SetBytes")
		})
	}
	// The CBOR decoder's own error stays reachable.
	db := openT(t, "", nil)
	de := getAfterSetBytes[[]byte](t, db, "hello")
	require.ErrorIs(t, de, io.ErrUnexpectedEOF)
}

// TestDecodeErrorWithoutHint: a well-formed value of another type gives a
// *DecodeError without the GetBytes hint, which would mislead.
func TestDecodeErrorWithoutHint(t *testing.T) {
	for _, c := range []Codec{CBORCodec{}, JSONCodec{}} {
		t.Run(c.Name(), func(t *testing.T) {
			db := openT(t, "", &Options{Codec: c})
			require.NoError(t, Set(t.Context(), db, "k", "text"))
			_, err := Get[int](t.Context(), db, "k")
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			require.Equal(t, DecodeError{Key: "k", Codec: c.Name(), Type: "int", Err: de.Err}, *de)
			require.NotContains(t, err.Error(), "GetBytes")
		})
	}
}

// TestDecodeError: Decode's error is a *DecodeError without a key.
func TestDecodeError(t *testing.T) {
	_, err := Decode[[]byte]([]byte("hello"))
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.ErrorIs(t, err, ErrDecode)
	require.Empty(t, de.Key)
	require.Equal(t, "CBOR", de.Codec)
	require.NotContains(t, err.Error(), "key")
	require.Contains(t, err.Error(), "GetBytes")
}

// TestDecodeProtoHint: reading a protobuf message that an older version
// stored as CBOR (today Set refuses it) points to the protobuf codec.
func TestDecodeProtoHint(t *testing.T) {
	db := openT(t, "", nil)
	b, err := valueEnc.Marshal(&fakeProto{X: 1})
	require.NoError(t, err)
	require.NoError(t, db.SetBytes(t.Context(), "k", append(b, 0))) // so it fails
	_, err = Get[*fakeProto](t.Context(), db, "k")
	require.ErrorIs(t, err, ErrDecode)
	require.Contains(t, err.Error(), "protocodec")
	require.NotContains(t, err.Error(), "GetBytes")
}

// TestProtoRefused: Set, SetIfAbsent, CompareAndSwap, TxSet and BatchSet
// of a protobuf message fail with ErrEncode, name the protobuf codec, and
// store nothing.
func TestProtoRefused(t *testing.T) {
	ctx := t.Context()
	for _, c := range []Codec{CBORCodec{}, JSONCodec{}} {
		t.Run(c.Name(), func(t *testing.T) {
			db := openT(t, newDir(t), &Options{Codec: c})
			m := &fakeProto{X: 1}
			err := Set(ctx, db, "k", m)
			require.ErrorIs(t, err, ErrEncode)
			require.Contains(t, err.Error(), "protocodec")
			_, err = SetIfAbsent(ctx, db, "k", m)
			require.ErrorIs(t, err, ErrEncode)
			_, err = CompareAndSwap(ctx, db, "k", m, m)
			require.ErrorIs(t, err, ErrEncode)
			err = db.Update(ctx, func(tx *Tx) error { return TxSet(tx, "k", m) })
			require.ErrorIs(t, err, ErrEncode)
			b := Batch{Codec: c}
			require.ErrorIs(t, BatchSet(&b, "k", m), ErrEncode)
			require.Zero(t, b.Len())
			require.Empty(t, storeContents(t, db))
		})
	}
}

// customCodec is a user's codec: JSON behind a one-byte version prefix. It
// has no way to tell malformed input, so only Get[[]byte] gets the hint.
type customCodec struct{}

func (customCodec) Name() string { return "v1+JSON" }

func (customCodec) Marshal(v any) ([]byte, error) {
	b, err := JSONCodec{}.Marshal(v)
	return append([]byte{1}, b...), err
}

func (customCodec) Unmarshal(data []byte, v any) error {
	if len(data) == 0 || data[0] != 1 {
		return errors.New("not a v1 value")
	}
	return JSONCodec{}.Unmarshal(data[1:], v)
}

// TestCustomCodec: a codec of the user's own stores through every typed
// call, and its errors come back as documented.
func TestCustomCodec(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), &Options{Codec: customCodec{}})
	require.NoError(t, Set(ctx, db, "k", map[string]int{"a": 1}))
	raw, err := db.GetBytes(ctx, "k")
	require.NoError(t, err)
	require.Equal(t, "\x01{\"a\":1}", string(raw))
	got, err := Get[map[string]int](ctx, db, "k")
	require.NoError(t, err)
	require.Equal(t, map[string]int{"a": 1}, got)

	de := getAfterSetBytes[[]byte](t, db, "hello")
	require.Equal(t, "v1+JSON", de.Codec)
	require.Contains(t, de.Error(), "GetBytes")
	de = getAfterSetBytes[string](t, db, "hello")
	require.NotContains(t, de.Error(), "GetBytes", "a codec that cannot tell gets no guess")

	err = Set(ctx, db, "c", make(chan int))
	require.ErrorIs(t, err, ErrEncode)
	require.Contains(t, err.Error(), "v1+JSON")
}
