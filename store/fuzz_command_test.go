package store

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// checkDecodeCommand checks decodeCommand on b: whatever it accepts has a
// known op, encodes, and decodes back to an equal command whose encoding
// is the same (the encoding is a fixed point after one round), and the two
// apply without error and do the same to an empty map.
func checkDecodeCommand(t *testing.T, b []byte) {
	c, err := decodeCommand(b)
	if err != nil {
		if !reflect.DeepEqual(c, Command{}) {
			t.Fatalf("error %v with command %+v", err, c)
		}
		return
	}
	switch c.Op {
	case OpSet, OpDelete, OpClear, OpBatch, OpSetAt, OpExpireAt, OpExpire, OpDeleteRange:
	default:
		t.Fatalf("accepted unknown op %d", c.Op)
	}
	enc, err := EncodeCommand(c)
	if err != nil {
		t.Fatalf("decoded command %+v does not encode: %v", c, err)
	}
	again, err := decodeCommand(enc)
	if err != nil {
		t.Fatalf("re-encoding %x of %x does not decode: %v", enc, b, err)
	}
	if !reflect.DeepEqual(again, c) {
		t.Fatalf("round trip changed the command:\n got  %#v\n want %#v", again, c)
	}
	enc2, err := EncodeCommand(again)
	if err != nil || !bytes.Equal(enc2, enc) {
		t.Fatalf("second encoding differs: %x, %v; first %x", enc2, err, enc)
	}

	kv1, kv2 := NewKV(0), NewKV(0)
	r1, ch1, err1 := kv1.Apply(c)
	r2, ch2, err2 := kv2.Apply(again)
	if err1 != nil {
		// Replay applies whatever decodes: a command that decodes but
		// does not apply would stop a recovery.
		t.Fatalf("decoded command %#v does not apply: %v", c, err1)
	}
	if !reflect.DeepEqual(r1, r2) || ch1 != ch2 || err2 != nil {
		t.Fatalf("the decoded and round-tripped commands apply differently: %v %v %v / %v %v %v", r1, ch1, err1, r2, ch2, err2)
	}
	if n1, n2 := kv1.Query(Query{Op: QueryLen}).N, kv2.Query(Query{Op: QueryLen}).N; n1 != n2 {
		t.Fatalf("maps of %d and %d keys after applying", n1, n2)
	}
}

// FuzzDecodeCommand feeds arbitrary bytes to decodeCommand. It must never
// panic; a decoded command has a known op, encodes, decodes back to an
// equal command whose encoding is the same, and applies to a key-value map
// without error, as its round-tripped copy does. See checkDecodeCommand.
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range decodeCommandSeeds()[:8] {
		f.Add(s.Args[0].([]byte))
	}
	f.Fuzz(checkDecodeCommand)
}

// commandSeeds are commands of every op with awkward keys and values.
func commandSeeds() []Command {
	return []Command{
		{Op: OpSet, Key: "k", Value: []byte("v")},
		{Op: OpSet, Key: "", Value: []byte{}},
		{Op: OpSet, Key: "\xff\xfe", Value: []byte{0, 0xff, 0xc3, 0x28}},
		{Op: OpDelete, Key: "k"},
		{Op: OpClear},
		{Op: OpBatch, Batch: []Mutation{{Op: OpSet, Key: "a", Value: []byte("1")}, {Op: OpDelete, Key: "b"}}},
		{Op: OpBatch, Batch: []Mutation{}},
		{Op: OpSet, Key: strings.Repeat("k", 30), Value: bytes.Repeat([]byte{7}, 300)},
		{Op: OpSetAt, Key: "k", Value: []byte("v"), At: 1_800_000_000_000_000_000},
		{Op: OpExpireAt, Key: "k", At: -5},
		{Op: OpExpire, Batch: []Mutation{{Op: OpDelete, Key: "a"}, {Op: OpDelete, Key: "b"}}},
		{Op: OpBatch, Batch: []Mutation{{Op: OpSetAt, Key: "a", Value: []byte("1"), At: 1 << 40}, {Op: OpDelete, Key: "b"}}},
		{Op: OpDeleteRange, Key: "a", Value: []byte("b")},
		{Op: OpDeleteRange, Key: "a"},
	}
}

func decodeCommandSeeds() []fuzzkit.Seed {
	var seeds []fuzzkit.Seed
	add := func(name string, b []byte) { seeds = append(seeds, fuzzkit.Seed{Name: name, Args: []any{b}}) }
	names := []string{"set", "set-empty", "set-binary", "delete", "clear", "batch", "batch-empty", "set-long",
		"set-at", "expire-at", "expire", "batch-set-at", "delete-range", "delete-range-no-end"}
	var encs [][]byte
	for i, c := range commandSeeds() {
		b, err := EncodeCommand(c)
		if err != nil {
			panic(err)
		}
		encs = append(encs, b)
		add("valid-"+names[i], b)
	}
	batch := encs[5]
	for _, cut := range []int{0, 1, 3, len(batch) / 2, len(batch) - 1} {
		add(fmt.Sprintf("cut-%d", cut), batch[:cut])
	}
	for _, at := range []int{0, 1, 2, 5, len(batch) - 2} {
		add(fmt.Sprintf("flip-%d", at), fuzzkit.Flip(batch, at, (at+5)%8))
	}
	for _, at := range []int{1, 4, 8} {
		add(fmt.Sprintf("zero-tail-%d", at), fuzzkit.ZeroTail(batch, at))
	}
	hexes := []struct{ name, hex string }{
		{"op-5", "85 05 41 6b f6 f6"},
		{"op-256", "84 19 0100 41 6b f6 f6"},
		{"key-invalid-utf8-text", "84 01 62 fffe f6 f6"},
		{"key-text", "84 01 61 6b 41 76 f6"},
		{"map", "a2 62 4f70 01 63 4b6579 41 6b"},
		{"indefinite", "9f 01 41 6b 41 76 f6 ff"},
		{"tagged-value", "84 01 41 6b d8 18 41 76 f6"},
		{"trailing", "84 03 f6 f6 f6 00"},
		{"array-2^31", "9a 80000000 01"},
		{"array-2^64-1", "9b ffffffffffffffff"},
		{"key-2^62", "84 01 5b 4000000000000000 6b"},
		{"batch-2^31", "84 04 f6 f6 9a 80000000 83 01 41 6b f6"},
		{"deep", strings.Repeat("81", 100) + "01"},
		{"set-at-text-deadline", "85 07 41 6b 41 76 f6 61 31"},
		{"set-at-2^63", "85 07 41 6b 41 76 f6 1b 8000000000000000"},
		{"expire-at-value", "85 08 41 6b 41 76 f6 01"},
		{"expire-with-set", "84 09 40 f6 81 83 01 41 6b 41 76"},
		{"batch-set-at-3", "84 04 40 f6 81 83 07 41 6b 41 76"},
		{"delete-range-inverted", "84 0b 41 62 41 61 f6"},
		{"delete-range-empty-end", "84 0b 41 61 40 f6"},
		{"delete-range-text-end", "84 0b 41 61 61 62 f6"},
		{"delete-range-batch", "84 0b 41 61 41 62 80"},
	}
	for _, h := range hexes {
		add(h.name, fuzzkit.Unhex(h.hex))
	}
	return seeds
}
