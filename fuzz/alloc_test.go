package fuzz_test

import (
	"bytes"
	"math"
	"runtime"
	"testing"

	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// maxAllocPerCall bounds what one decode of a small input with lying size
// fields may allocate: whatever a field claims, nothing near it is
// allocated.
const maxAllocPerCall = 64 << 10

// allocPerCall returns the bytes fn allocates per call, on average over
// runs calls after a first one (which may initialize caches).
func allocPerCall(runs int, fn func()) uint64 {
	fn()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// lyingFrames returns frames with valid checksums, in a few dozen bytes,
// whose length or count fields claim huge sizes.
func lyingFrames() map[string][]byte {
	p := []byte{0x83, 0x01, 0x18, 0x20} // array(3) [1, 32, ...
	ok := append(bytes.Clone(p), 0x81, 0x41, 'k')
	return map[string][]byte{
		"frame length 0xFFFFFFFF":  rawFrame(0xffffffff, journal.FrameEntries, ok),
		"frame length MaxPayload":  rawFrame(journal.MaxPayload, journal.FrameEntries, ok),
		"frame length 2^31":        rawFrame(1<<31, journal.FrameEntries, ok),
		"entry count 2^31":         frameOf(cborHead(bytes.Clone(p), majorArray, 1<<31, 4)),
		"entry count 2^32-1":       frameOf(append(cborHead(bytes.Clone(p), majorArray, 1<<32-1, 4), 0x41, 'k')),
		"entry count 2^64-1":       frameOf(cborHead(bytes.Clone(p), majorArray, math.MaxUint64, 8)),
		"entry length 2^62":        frameOf(append(cborHead(append(bytes.Clone(p), 0x81), majorBytes, 1<<62, 8), 'k')),
		"entry length 2^31":        frameOf(append(cborHead(append(bytes.Clone(p), 0x81), majorBytes, 1<<31, 4), 'k')),
		"second entry length 2^62": frameOf(cborHead(append(bytes.Clone(p), 0x82, 0x41, 'k'), majorBytes, 1<<62, 8)),
	}
}

// TestLyingLengthsFrame checks that DecodeFrame refuses frames whose size
// fields lie and allocates next to nothing for them.
func TestLyingLengthsFrame(t *testing.T) {
	for name, b := range lyingFrames() {
		t.Run(name, func(t *testing.T) {
			if len(b) > 64 {
				t.Fatalf("the input is %d bytes, meant to be small", len(b))
			}
			if _, _, err := journal.DecodeFrame(b); err == nil {
				t.Fatal("DecodeFrame accepted it")
			}
			if got := allocPerCall(100, func() { _, _, _ = journal.DecodeFrame(b) }); got > maxAllocPerCall {
				t.Fatalf("DecodeFrame allocated %d bytes per call", got)
			}
		})
	}
}

// TestLyingLengthsSegment checks the same through ScanSegment: as an
// earlier segment each is an error; as the last one, an error or a torn
// tail at the lying frame, but never a segment with entries.
func TestLyingLengthsSegment(t *testing.T) {
	for name, frame := range lyingFrames() {
		t.Run(name, func(t *testing.T) {
			data := journal.AppendFrame(journal.AppendSegmentHeader(nil, 1), 1, journal.HeaderSize, [][]byte{[]byte("ok")})
			at := int64(len(data))
			data = append(data, frame...)
			if _, err := journal.ScanSegment("x.wal", data, false, 1); err == nil {
				t.Fatal("ScanSegment accepted it as an earlier segment")
			}
			scan, err := journal.ScanSegment("x.wal", data, true, 1)
			if err == nil && (scan.TornAt != at || len(scan.Entries) != 1) {
				t.Fatalf("as the last segment: TornAt %d (want %d), %d entries (want 1)", scan.TornAt, at, len(scan.Entries))
			}
			for _, last := range []bool{false, true} {
				got := allocPerCall(100, func() { _, _ = journal.ScanSegment("x.wal", data, last, 1) })
				if got > maxAllocPerCall {
					t.Fatalf("ScanSegment (last=%v) allocated %d bytes per call", last, got)
				}
			}
		})
	}
}

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
			b := unhexString(h)
			if _, err := store.DecodeCommand(b); err == nil {
				t.Fatal("DecodeCommand accepted it")
			}
			if got := allocPerCall(100, func() { _, _ = store.DecodeCommand(b) }); got > maxAllocPerCall {
				t.Fatalf("DecodeCommand allocated %d bytes per call", got)
			}
		})
	}
}

// TestAllocProportional checks the allocation bound where a count is not a
// lie: DecodeFrame promises at most one slice header per payload byte, so
// a frame of n bytes that claims one entry per byte may cost about 24n; a
// command that holds four-byte mutations costs about the size of a
// Mutation per four bytes. Neither may cost more than a fixed multiple of
// the input, however the input is laid out.
func TestAllocProportional(t *testing.T) {
	const n = 32 << 10
	const factor = 32 // bytes allocated per input byte, at most

	// A payload that claims as many entries as it has bytes left, all
	// empty but the last, which is not a byte string.
	p := cborHead([]byte{0x83, 0x01, 0x18, 0x20}, majorArray, n, 4)
	p = append(p, bytes.Repeat([]byte{0x40}, n-1)...)
	p = append(p, 0xf6)
	frame := frameOf(p)
	if _, _, err := journal.DecodeFrame(frame); err == nil {
		t.Fatal("DecodeFrame accepted a frame whose last entry is null")
	}
	got := allocPerCall(10, func() { _, _, _ = journal.DecodeFrame(frame) })
	t.Logf("DecodeFrame: %d bytes for a %d-byte frame (%.1f per byte)", got, len(frame), float64(got)/float64(len(frame)))
	if got > factor*uint64(len(frame)) {
		t.Errorf("DecodeFrame allocated %d bytes for a %d-byte frame", got, len(frame))
	}

	// Batches of n four-byte mutations (delete of the empty key),
	// definite and indefinite.
	del := []byte{0x83, byte(store.OpDelete), 0x40, 0xf6}
	definite := cborHead([]byte{0x84, 0x04, 0xf6, 0xf6}, majorArray, n, 4)
	definite = append(definite, bytes.Repeat(del, n)...)
	indefinite := append([]byte{0x84, 0x04, 0xf6, 0xf6, 0x9f}, bytes.Repeat(del, n)...)
	indefinite = append(indefinite, 0xff)
	for name, b := range map[string][]byte{"definite": definite, "indefinite": indefinite} {
		c, err := store.DecodeCommand(b)
		if err != nil || len(c.Batch) != n {
			t.Fatalf("%s batch: %d mutations, %v", name, len(c.Batch), err)
		}
		got := allocPerCall(10, func() { _, _ = store.DecodeCommand(b) })
		t.Logf("DecodeCommand, %s batch: %d bytes for %d bytes (%.1f per byte)", name, got, len(b), float64(got)/float64(len(b)))
		if got > factor*uint64(len(b)) {
			t.Errorf("DecodeCommand allocated %d bytes for a %d-byte %s batch", got, len(b), name)
		}
	}
}
