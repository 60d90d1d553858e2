package protocodec_test

import (
	"testing"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestBadBytes: Get of a message from bytes that are not one (every
// truncation of a real encoding, every one-byte value, raw text stored
// with SetBytes) returns ErrDecode naming the codec, or a message, and
// never panics.
func TestBadBytes(t *testing.T) {
	ctx := t.Context()
	db := open(t, "")
	s, err := structpb.NewStruct(map[string]any{"a": []any{"x", 1.0}, "b": map[string]any{"c": true}})
	require.NoError(t, err)
	require.NoError(t, hurrah.Set(ctx, db, "k", s))
	full, err := db.GetBytes(ctx, "k")
	require.NoError(t, err)
	var inputs [][]byte
	for i := range full {
		inputs = append(inputs, full[:i])
	}
	for b := range 256 {
		inputs = append(inputs, []byte{byte(b)})
	}
	inputs = append(inputs, []byte("hello"), []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	failed := 0
	for _, in := range inputs {
		require.NoError(t, db.SetBytes(ctx, "bad", in))
		_, err := hurrah.Get[*structpb.Struct](ctx, db, "bad")
		if err == nil {
			continue // some prefixes are whole messages
		}
		failed++
		require.ErrorIs(t, err, hurrah.ErrDecode)
		var de *hurrah.DecodeError
		require.ErrorAs(t, err, &de)
		require.Equal(t, "protobuf", de.Codec)
	}
	require.Positive(t, failed)
}
