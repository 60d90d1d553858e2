package hurrah

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type goldenValue struct {
	Name string
	N    int
	F    float64
	B    []byte
	M    map[string]int
	At   time.Time
	P    *int
}

// TestDefaultCodecBytes: with no codec set, Set stores exactly the bytes
// it stored before codecs were pluggable (the hex was taken from the
// version before them), through the pooled-buffer path and the other one.
func TestDefaultCodecBytes(t *testing.T) {
	const want = "a761424201026146fb3ff8000000000000614da36161016162026363636303614e1b00000100" +
		"00000000615022624174c07823323032362d31322d30325432303a30303a30302e3030303030" +
		"303030352d30323a3030644e616d656178"
	n := -3
	v := goldenValue{"x", 1 << 40, 1.5, []byte{1, 2}, map[string]int{"b": 2, "a": 1, "ccc": 3},
		time.Date(2026, 12, 2, 20, 0, 0, 5, time.FixedZone("", -7200)), &n}
	for _, dir := range []string{"", newDir(t)} {
		for _, opts := range []*Options{nil, {Codec: CBORCodec{}}} {
			db := openT(t, dir, opts)
			require.NoError(t, Set(t.Context(), db, "k", v))
			b, err := db.GetBytes(t.Context(), "k")
			require.NoError(t, err)
			require.Equal(t, want, hex.EncodeToString(b))
			require.NoError(t, db.Close())
		}
	}
	b, err := CBORCodec{}.Marshal(v)
	require.NoError(t, err)
	require.Equal(t, want, hex.EncodeToString(b))
}

// TestJSONStore: every typed call of a store opened with JSONCodec stores
// and reads JSON, and the values survive a reopen with the same codec. A
// reopen with the default codec reads them as CBOR and fails with a
// *DecodeError that names CBOR.
func TestJSONStore(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	opts := &Options{Codec: JSONCodec{}}
	db := openT(t, dir, opts)
	type pt struct{ X, Y int }
	require.NoError(t, Set(ctx, db, "set", pt{1, 2}))
	ok, err := SetIfAbsent(ctx, db, "absent", pt{3, 4})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = CompareAndSwap(ctx, db, "set", pt{1, 2}, pt{5, 6})
	require.NoError(t, err)
	require.True(t, ok, "JSON encodes equal values alike, so CompareAndSwap matches")
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		got, err := TxGet[pt](tx, "absent")
		require.NoError(t, err)
		require.Equal(t, pt{3, 4}, got)
		return TxSet(tx, "tx", map[string]int{"b": 2, "a": 1})
	}))
	b := Batch{Codec: JSONCodec{}}
	require.NoError(t, BatchSet(&b, "batch", []string{"x"}))
	require.NoError(t, db.Write(ctx, &b))
	want := map[string]string{
		"set":    `{"X":5,"Y":6}`,
		"absent": `{"X":3,"Y":4}`,
		"tx":     `{"a":1,"b":2}`,
		"batch":  `["x"]`,
	}
	require.Equal(t, want, storeContents(t, db))
	require.NoError(t, db.Close())

	db = openT(t, dir, opts)
	v, err := db.View(ctx)
	require.NoError(t, err)
	got, err := ViewGet[pt](v, "set")
	require.NoError(t, err)
	require.Equal(t, pt{5, 6}, got)
	require.NoError(t, v.Close())
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	_, err = Get[pt](ctx, db, "set")
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "CBOR", de.Codec)
	require.Equal(t, "set", de.Key)
}

// TestBatchCodecMismatch: Write refuses a batch whose typed values another
// codec than the store's encoded, and writes nothing of it; BatchSet
// refuses to mix codecs in one batch; Reset forgets the codec.
func TestBatchCodecMismatch(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", &Options{Codec: JSONCodec{}})
	var b Batch
	b.SetBytes("raw", []byte("r"))
	require.NoError(t, db.Write(ctx, &b), "byte values need no codec")
	require.NoError(t, BatchSet(&b, "k", 1))
	require.ErrorIs(t, db.Write(ctx, &b), ErrInvalidBatch)
	require.Equal(t, map[string]string{"raw": "r"}, storeContents(t, db))

	b.Codec = JSONCodec{}
	require.ErrorIs(t, BatchSet(&b, "k2", 2), ErrEncode, "one batch, one codec")
	require.Equal(t, 2, b.Len())

	b.Reset()
	require.NoError(t, BatchSet(&b, "k", 1))
	require.NoError(t, db.Write(ctx, &b))
	got, err := Get[int](ctx, db, "k")
	require.NoError(t, err)
	require.Equal(t, 1, got)

	cb := openT(t, "", nil)
	require.NoError(t, cb.Write(ctx, &Batch{}), "an empty batch of any codec")
	require.ErrorIs(t, cb.Write(ctx, &b), ErrInvalidBatch, "JSON values into a CBOR store")
}

// TestSystemRefusesCodec: a System's commands and State are CBOR, so
// OpenSystem refuses another codec and accepts CBORCodec.
func TestSystemRefusesCodec(t *testing.T) {
	_, err := OpenSystem[bank, bankCmd]("", nil, &Options{Codec: JSONCodec{}})
	require.ErrorIs(t, err, ErrInvalidOptions)
	sys, err := OpenSystem[bank, bankCmd]("", nil, &Options{Codec: CBORCodec{}})
	require.NoError(t, err)
	require.NoError(t, sys.Close())
}
