package journal

import (
	"bytes"
	"math"
	"testing"
)

// checkDecodeFrame checks decodeFrame on b: on error it returns nothing;
// on success the frame fits in b, its entries are clipped slices of b, and
// appendFrame gives it back: byte for byte when b uses the shortest CBOR
// heads, and otherwise a shorter frame that decodes to the same values.
func checkDecodeFrame(t *testing.T, b []byte) {
	f, n, err := decodeFrame(b)
	if err != nil {
		if n != 0 || !framesEqual(f, decodedFrame{}) || f.Entries != nil {
			t.Fatalf("error %v with n %d and frame %+v", err, n, f)
		}
		return
	}
	if n < frameHeaderSize || n > len(b) {
		t.Fatalf("n %d outside [%d, %d]", n, frameHeaderSize, len(b))
	}
	if f.Type != frameEntries {
		t.Fatalf("decoded frame of type %d", f.Type)
	}
	if uint64(len(f.Entries)) > math.MaxUint64-f.FirstLSN {
		t.Fatalf("%d entries from LSN %d overflow", len(f.Entries), f.FirstLSN)
	}
	for i, e := range f.Entries {
		if cap(e) != len(e) {
			t.Fatalf("entry %d has len %d but cap %d: appending to it would overwrite the image", i, len(e), cap(e))
		}
	}

	enc := appendFrame(nil, f.FirstLSN, f.Synced, f.Entries)
	switch {
	case len(enc) == n:
		// The shortest heads are unique, and the header follows from the
		// payload: a frame of the same size must be the same bytes.
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encoding differs:\n got  %x\n want %x", enc, b[:n])
		}
	case len(enc) > n:
		t.Fatalf("re-encoding is %d bytes, longer than the %d decoded", len(enc), n)
	}
	g, gn, err := decodeFrame(enc)
	if err != nil || gn != len(enc) || !framesEqual(g, f) {
		t.Fatalf("re-encoding decodes to %+v, n %d, err %v; want %+v", g, gn, err, f)
	}
	if pre := []byte("prefix"); !bytes.Equal(appendFrame(pre, f.FirstLSN, f.Synced, f.Entries), append(pre, enc...)) {
		t.Fatal("appendFrame to a non-empty slice differs from prefix + frame")
	}

	// The frame does not depend on what follows it, and no strict prefix
	// of it is a frame.
	if g, gn, err := decodeFrame(b[:n:n]); err != nil || gn != n || !framesEqual(g, f) {
		t.Fatalf("the frame alone decodes to %+v, n %d, err %v", g, gn, err)
	}
	if _, _, err := decodeFrame(b[: n-1 : n-1]); err == nil {
		t.Fatal("the frame less its last byte decodes")
	}
}

// FuzzDecodeFrame feeds arbitrary bytes to decodeFrame, then the same
// bytes with the frame's checksums made right (so that the fuzzer reaches
// the CBOR payload decoder, which random bytes almost never do past a
// CRC32C). It must never panic; an error returns n == 0 and the zero
// frame; a decoded frame fits in the input (0 < n <= len(b)), its entries
// are slices of the input clipped to their length, and
// appendFrame(nil, f.FirstLSN, f.Synced, f.Entries) gives it back: exactly
// b[:n] when the input uses the shortest CBOR heads, and otherwise a
// shorter frame that decodes to the same values (the decoder accepts
// longer heads than needed). The frame does not depend on the bytes after
// it, and no strict prefix of it decodes. See checkDecodeFrame.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range decodeFrameSeeds()[:8] {
		f.Add(s.Args[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeFrame(t, b)
		if fixed := fixFrame(b); !bytes.Equal(fixed, b) {
			checkDecodeFrame(t, fixed)
		}
	})
}
