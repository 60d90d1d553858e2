package store_test

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// roundTripCommands covers every op with awkward keys and values: empty,
// nil, non-UTF-8, NUL bytes and binary data.
func roundTripCommands() map[string]store.Command {
	bin := []byte{0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28}
	return map[string]store.Command{
		"set":                 set("k", "v"),
		"set empty key":       set("", "v"),
		"set non-UTF-8 key":   {Op: store.OpSet, Key: "\xff\xfe", Value: []byte("v")},
		"set overlong UTF-8":  {Op: store.OpSet, Key: "\xc0\xaf", Value: bin},
		"set NUL key":         {Op: store.OpSet, Key: "a\x00b", Value: bin},
		"set nil value":       {Op: store.OpSet, Key: "k"},
		"set empty value":     {Op: store.OpSet, Key: "k", Value: []byte{}},
		"set binary value":    {Op: store.OpSet, Key: "\x80", Value: bin},
		"set long key":        {Op: store.OpSet, Key: strings.Repeat("\xfe", 70000), Value: bytes.Repeat(bin, 1000)},
		"delete":              del("k"),
		"delete non-UTF-8":    del("\xff\xfe"),
		"delete empty key":    del(""),
		"clear":               clr(),
		"batch nil":           {Op: store.OpBatch},
		"batch empty":         {Op: store.OpBatch, Batch: []store.Mutation{}},
		"batch one":           bat(mset("a", "1")),
		"batch mixed":         bat(mset("a", "1"), mdel("\xff\xfe"), mset("\xfe", ""), store.Mutation{Op: store.OpSet, Key: "n"}, mdel("")),
		"set at":              {Op: store.OpSetAt, Key: "k", Value: []byte("v"), At: 1_800_000_000_000_000_000},
		"set at nil value":    {Op: store.OpSetAt, Key: "k", At: 1},
		"set at before 1970":  {Op: store.OpSetAt, Key: "k", Value: []byte{}, At: -1 << 40},
		"expire at":           {Op: store.OpExpireAt, Key: "k", At: 1 << 50},
		"persist":             {Op: store.OpExpireAt, Key: "k"},
		"expire":              {Op: store.OpExpire, Batch: []store.Mutation{mdel("a"), mdel("\xff")}},
		"batch with set at":   bat(mset("a", "1"), store.Mutation{Op: store.OpSetAt, Key: "b", Value: bin, At: 99}, mdel("c")),
		"batch binary values": bat(store.Mutation{Op: store.OpSet, Key: "\xff", Value: bin}, store.Mutation{Op: store.OpSet, Key: "e", Value: []byte{}}),
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for name, c := range roundTripCommands() {
		t.Run(name, func(t *testing.T) {
			b, err := store.EncodeCommand(c)
			require.NoError(t, err)
			got, err := store.DecodeCommand(b)
			require.NoError(t, err)
			require.Equal(t, c, got) // deep: nil and empty slices stay apart
			again, err := store.EncodeCommand(got)
			require.NoError(t, err)
			require.Equal(t, b, again, "encoding is deterministic")
		})
	}
}

// TestCodecRoundTripApplies checks that a decoded command does to a KV what
// the original did.
func TestCodecRoundTripApplies(t *testing.T) {
	for name, c := range roundTripCommands() {
		t.Run(name, func(t *testing.T) {
			before := map[string]string{"k": "old", "\xff\xfe": "x", "a": "y"}
			want, got := kvWith(t, before), kvWith(t, before)
			r1, ch1, err1 := want.Apply(c)
			d, err := store.DecodeCommand(mustEncode(c))
			require.NoError(t, err)
			r2, ch2, err2 := got.Apply(d)
			require.Equal(t, err1, err2)
			require.Equal(t, ch1, ch2)
			require.Equal(t, r1, r2)
			require.Equal(t, kvState(want), kvState(got))
		})
	}
}

func cborOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	require.NoError(t, err)
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func TestDecodeCommandRejects(t *testing.T) {
	valid := mustEncode(set("k", "v"))
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"break byte", []byte{0xff}},
		{"reserved additional info", []byte{0x1c}},
		{"null", []byte{0xf6}},
		{"integer", cborOf(t, 1)},
		{"text", cborOf(t, "set")},
		{"map", cborOf(t, map[string]any{"Op": 1, "Key": "k"})},
		{"empty array", cborOf(t, []any{})},
		{"short array", cborOf(t, []any{1, []byte("k"), nil})},
		{"long array", cborOf(t, []any{1, []byte("k"), nil, nil, nil})},
		{"op zero", cborOf(t, []any{0, []byte("k"), nil, nil})},
		{"op five", cborOf(t, []any{5, []byte("k"), nil, nil})},
		{"op 255", cborOf(t, []any{255, []byte("k"), nil, nil})},
		{"op overflows uint8", cborOf(t, []any{256 + 1, []byte("k"), nil, nil})},
		{"op negative", cborOf(t, []any{-1, []byte("k"), nil, nil})},
		{"op text", cborOf(t, []any{"1", []byte("k"), nil, nil})},
		{"key integer", cborOf(t, []any{1, 7, nil, nil})},
		{"value text", cborOf(t, []any{1, []byte("k"), 7, nil})},
		{"batch text", cborOf(t, []any{4, nil, nil, "x"})},
		{"batch of ints", cborOf(t, []any{4, nil, nil, []any{1}})},
		{"batch mutation short", cborOf(t, []any{4, nil, nil, []any{[]any{1, []byte("k")}}})},
		{"key invalid UTF-8 text string", unhex(t, "84 01 62 fffe f6 f6")},
		{"trailing byte", append(append([]byte(nil), valid...), 0x00)},
		{"two commands", append(append([]byte(nil), valid...), valid...)},
		{"huge array length", unhex(t, "9b ffffffffffffffff")},
		{"huge key length", unhex(t, "84 01 5b ffffffffffffffff")},
		{"huge batch length", unhex(t, "84 04 f6 f6 9b 7fffffffffffffff")},
		{"unterminated indefinite array", unhex(t, "9f 01 41 6b")},
		{"deep nesting", append(bytes.Repeat([]byte{0x81}, 1000), 0x01)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { _, err = store.DecodeCommand(tt.data) })
			require.Error(t, err)
		})
	}
}

// TestDecodeCommandTruncated checks every strict prefix of every valid
// encoding: CBOR items are self-delimiting, so none of them is a command.
func TestDecodeCommandTruncated(t *testing.T) {
	for name, c := range roundTripCommands() {
		b := mustEncode(c)
		if len(b) > 512 {
			b = b[:512] // the long key: its prefixes are all truncated anyway
		}
		for n := 0; n < len(b); n++ {
			var err error
			require.NotPanics(t, func() { _, err = store.DecodeCommand(b[:n]) }, "%s[:%d]", name, n)
			require.Error(t, err, "%s[:%d]", name, n)
		}
	}
}

// requireDecodeSane checks the one thing DecodeCommand promises for any
// input: no panic, and whatever it accepts has a known op and re-encodes to
// something that decodes to the same command.
func requireDecodeSane(t *testing.T, data []byte) {
	t.Helper()
	var c store.Command
	var err error
	require.NotPanics(t, func() { c, err = store.DecodeCommand(data) }, "%x", data)
	if err != nil {
		return
	}
	require.Contains(t, []store.Op{store.OpSet, store.OpDelete, store.OpClear, store.OpBatch,
		store.OpSetAt, store.OpExpireAt, store.OpExpire, store.OpDeleteRange}, c.Op, "%x", data)
	again, err := store.DecodeCommand(mustEncode(c))
	require.NoError(t, err, "%x", data)
	require.Equal(t, c, again, "%x", data)
}

// TestDecodeCommandGarbage feeds random bytes and corrupted encodings.
func TestDecodeCommandGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		b := make([]byte, rng.IntN(48))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if len(b) > 0 && rng.IntN(2) == 0 {
			b[0] = 0x84 // a four-element array, as a command starts
		}
		requireDecodeSane(t, b)
	}
	for name, c := range roundTripCommands() {
		if name == "set long key" {
			continue
		}
		valid := mustEncode(c)
		for range 300 {
			b := append([]byte(nil), valid...)
			for range 1 + rng.IntN(3) {
				b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
			}
			requireDecodeSane(t, b)
		}
	}
}

// The fuzz target for DecodeCommand, FuzzDecodeCommand, is in
// fuzz_command_test.go, with its committed corpus under testdata/fuzz.
