package journal

import (
	"bytes"
	"math"
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// lyingFrames returns frames with valid checksums, in a few dozen bytes,
// whose length or count fields claim huge sizes.
func lyingFrames() map[string][]byte {
	p := []byte{0x83, 0x01, 0x18, 0x20} // array(3) [1, 32, ...
	ok := append(bytes.Clone(p), 0x81, 0x41, 'k')
	return map[string][]byte{
		"frame length 0xFFFFFFFF":  forgeFrame(0xffffffff, frameEntries, ok),
		"frame length maxPayload":  forgeFrame(maxPayload, frameEntries, ok),
		"frame length 2^31":        forgeFrame(1<<31, frameEntries, ok),
		"entry count 2^31":         frameOf(fuzzkit.Head(bytes.Clone(p), majorArray, 1<<31, 4)),
		"entry count 2^32-1":       frameOf(append(fuzzkit.Head(bytes.Clone(p), majorArray, 1<<32-1, 4), 0x41, 'k')),
		"entry count 2^64-1":       frameOf(fuzzkit.Head(bytes.Clone(p), majorArray, math.MaxUint64, 8)),
		"entry length 2^62":        frameOf(append(fuzzkit.Head(append(bytes.Clone(p), 0x81), majorBytes, 1<<62, 8), 'k')),
		"entry length 2^31":        frameOf(append(fuzzkit.Head(append(bytes.Clone(p), 0x81), majorBytes, 1<<31, 4), 'k')),
		"second entry length 2^62": frameOf(fuzzkit.Head(append(bytes.Clone(p), 0x82, 0x41, 'k'), majorBytes, 1<<62, 8)),
	}
}

// TestLyingLengthsFrame checks that decodeFrame refuses frames whose size
// fields lie and allocates next to nothing for them.
func TestLyingLengthsFrame(t *testing.T) {
	for name, b := range lyingFrames() {
		t.Run(name, func(t *testing.T) {
			if len(b) > 64 {
				t.Fatalf("the input is %d bytes, meant to be small", len(b))
			}
			if _, _, err := decodeFrame(b); err == nil {
				t.Fatal("decodeFrame accepted it")
			}
			if got := fuzzkit.AllocPerCall(100, func() { _, _, _ = decodeFrame(b) }); got > fuzzkit.MaxAllocPerCall {
				t.Fatalf("decodeFrame allocated %d bytes per call", got)
			}
		})
	}
}

// TestLyingLengthsSegment checks the same through scanSegment: as an
// earlier segment each is an error; as the last one, an error or a torn
// tail at the lying frame, but never a segment with entries.
func TestLyingLengthsSegment(t *testing.T) {
	for name, frame := range lyingFrames() {
		t.Run(name, func(t *testing.T) {
			data := appendFrame(appendSegmentHeader(nil, 1), 1, segmentHeaderSize, [][]byte{[]byte("ok")})
			at := int64(len(data))
			data = append(data, frame...)
			if _, err := scanSegment("x.wal", data, false, 1); err == nil {
				t.Fatal("scanSegment accepted it as an earlier segment")
			}
			scan, err := scanSegment("x.wal", data, true, 1)
			if err == nil && (scan.TornAt != at || len(scan.Entries) != 1) {
				t.Fatalf("as the last segment: TornAt %d (want %d), %d entries (want 1)", scan.TornAt, at, len(scan.Entries))
			}
			for _, last := range []bool{false, true} {
				got := fuzzkit.AllocPerCall(100, func() { _, _ = scanSegment("x.wal", data, last, 1) })
				if got > fuzzkit.MaxAllocPerCall {
					t.Fatalf("scanSegment (last=%v) allocated %d bytes per call", last, got)
				}
			}
		})
	}
}

// TestAllocProportional checks the allocation bound where a count is not a
// lie: decodeFrame promises at most one slice header per payload byte, so
// a frame of n bytes that claims one entry per byte may cost about 24n, and
// no more than a fixed multiple of the input, however the input is laid
// out. (store's TestAllocProportionalCommand checks the same of commands.)
func TestAllocProportional(t *testing.T) {
	const n = 32 << 10
	const factor = 32 // bytes allocated per input byte, at most

	// A payload that claims as many entries as it has bytes left, all
	// empty but the last, which is not a byte string.
	p := fuzzkit.Head([]byte{0x83, 0x01, 0x18, 0x20}, majorArray, n, 4)
	p = append(p, bytes.Repeat([]byte{0x40}, n-1)...)
	p = append(p, 0xf6)
	frame := frameOf(p)
	if _, _, err := decodeFrame(frame); err == nil {
		t.Fatal("decodeFrame accepted a frame whose last entry is null")
	}
	got := fuzzkit.AllocPerCall(10, func() { _, _, _ = decodeFrame(frame) })
	t.Logf("decodeFrame: %d bytes for a %d-byte frame (%.1f per byte)", got, len(frame), float64(got)/float64(len(frame)))
	if got > factor*uint64(len(frame)) {
		t.Errorf("decodeFrame allocated %d bytes for a %d-byte frame", got, len(frame))
	}
}
