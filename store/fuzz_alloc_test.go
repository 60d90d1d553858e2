package store

import (
	"bytes"
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// TestLyingLengthsCommand checks that DecodeCommand refuses commands whose
// size fields lie and allocates next to nothing for them.
func TestLyingLengthsCommand(t *testing.T) {
	tests := map[string]string{
		"command array 2^31":         "9a 80000000 01",
		"command array 2^32-1":       "9a ffffffff 01 41 6b",
		"command array 2^64-1":       "9b ffffffffffffffff",
		"key length 2^62":            "84 01 5b 4000000000000000 6b",
		"key length 2^31":            "84 01 5a 80000000 6b",
		"key text length 2^62":       "84 01 7b 4000000000000000 6b",
		"value length 2^62":          "84 01 41 6b 5b 4000000000000000 76",
		"batch count 2^31":           "84 04 f6 f6 9a 80000000 83 01 41 6b f6",
		"batch count 2^64-1":         "84 04 f6 f6 9b ffffffffffffffff 83 01 41 6b f6",
		"mutation key 2^62":          "84 04 f6 f6 81 83 01 5b 4000000000000000 6b f6",
		"map 2^31":                   "ba 80000000 01 01",
		"tagged array 2^31":          "d8 20 9a 80000000 01",
		"indefinite key chunk 2^62":  "84 01 5f 5b 4000000000000000 6b ff f6 f6",
		"indefinite batch then 2^31": "84 04 f6 f6 9f 9a 80000000 ff",
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			b := fuzzkit.Unhex(h)
			if _, err := decodeCommand(b); err == nil {
				t.Fatal("DecodeCommand accepted it")
			}
			if got := fuzzkit.AllocPerCall(100, func() { _, _ = decodeCommand(b) }); got > fuzzkit.MaxAllocPerCall {
				t.Fatalf("DecodeCommand allocated %d bytes per call", got)
			}
		})
	}
}

// TestAllocProportionalCommand checks the allocation bound where a count is
// not a lie: a command that holds four-byte mutations costs about the size
// of a Mutation per four bytes, and no more than a fixed multiple of the
// input, however the input is laid out. (journal's TestAllocProportional
// checks the same of frames.)
func TestAllocProportionalCommand(t *testing.T) {
	const n = 32 << 10
	const factor = 32 // bytes allocated per input byte, at most

	// Batches of n four-byte mutations (delete of the empty key),
	// definite and indefinite.
	del := []byte{0x83, byte(OpDelete), 0x40, 0xf6}
	definite := fuzzkit.Head([]byte{0x84, 0x04, 0xf6, 0xf6}, fuzzkit.MajorArray, n, 4)
	definite = append(definite, bytes.Repeat(del, n)...)
	indefinite := append([]byte{0x84, 0x04, 0xf6, 0xf6, 0x9f}, bytes.Repeat(del, n)...)
	indefinite = append(indefinite, 0xff)
	for name, b := range map[string][]byte{"definite": definite, "indefinite": indefinite} {
		c, err := decodeCommand(b)
		if err != nil || len(c.Batch) != n {
			t.Fatalf("%s batch: %d mutations, %v", name, len(c.Batch), err)
		}
		got := fuzzkit.AllocPerCall(10, func() { _, _ = decodeCommand(b) })
		t.Logf("DecodeCommand, %s batch: %d bytes for %d bytes (%.1f per byte)", name, got, len(b), float64(got)/float64(len(b)))
		if got > factor*uint64(len(b)) {
			t.Errorf("DecodeCommand allocated %d bytes for a %d-byte %s batch", got, len(b), name)
		}
	}
}
