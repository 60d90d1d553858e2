package journal

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 23, 24, 255, 256, 65535, 65536}
	var all [][]byte
	for _, n := range sizes {
		all = append(all, bytes.Repeat([]byte{byte(n)}, n))
	}
	tests := []struct {
		name          string
		first, synced uint64
		entries       [][]byte
	}{
		{"no entries", 1, segmentHeaderSize, nil},
		{"one empty entry", 7, 32, [][]byte{{}}},
		{"small", 23, 24, [][]byte{[]byte("a"), []byte("bc")}},
		{"every head size", 1 << 16, 1<<32 + 5, all},
		{"huge LSN", math.MaxUint64 - 3, math.MaxUint32, [][]byte{{1}, {2}, {3}}},
		{"many entries", 1, 32, bytes.Fields(bytes.Repeat([]byte("ab "), 300))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			b := appendFrame(bytes.Clone(prefix), tt.first, tt.synced, tt.entries)
			require.Equal(t, prefix, b[:len(prefix)])
			frame := b[len(prefix):]
			// Trailing bytes after the frame are not part of it.
			f, n, err := decodeFrame(append(bytes.Clone(frame), 0xde, 0xad))
			require.NoError(t, err)
			require.Equal(t, len(frame), n)
			require.Equal(t, frameEntries, f.Type)
			require.Equal(t, tt.first, f.FirstLSN)
			require.Equal(t, tt.synced, f.Synced)
			require.Len(t, f.Entries, len(tt.entries))
			for i := range tt.entries {
				require.Equal(t, tt.entries[i], f.Entries[i], "entry %d", i)
			}
		})
	}
}

func TestFrameEntriesDoNotOverlap(t *testing.T) {
	b := appendFrame(nil, 1, 32, [][]byte{[]byte("ab"), []byte("cd")})
	f, _, err := decodeFrame(b)
	require.NoError(t, err)
	_ = append(f.Entries[0], 'X') // must not overwrite the next entry
	require.Equal(t, []byte("cd"), f.Entries[1])
}

// TestDecodeFrameStrict feeds decodeFrame payloads under valid checksums and
// frames with damage, and checks each is refused the right way.
func TestDecodeFrameStrict(t *testing.T) {
	valid := appendFrame(nil, 5, 32, [][]byte{[]byte("hi")})
	flip := func(i int) []byte {
		b := bytes.Clone(valid)
		b[i] ^= 0x10
		return b
	}
	withHeader := func(mutate func(h []byte)) []byte {
		b := bytes.Clone(valid)
		mutate(b[:frameHeaderSize])
		le.PutUint32(b[12:16], checksum(b[:12]))
		return b
	}
	tests := []struct {
		name   string
		in     []byte
		damage bool // a torn write explains it; else it is invalid
	}{
		{"empty", nil, true},
		{"short header", valid[:15], true},
		{"header checksum", flip(13), true},
		{"length flipped", flip(0), true},
		{"payload checksum", flip(frameHeaderSize + 3), true},
		{"payload cut", valid[:len(valid)-1], true},
		{"zero-filled", make([]byte, 64), true},
		{"type 0", withHeader(func(h []byte) { h[4] = 0 }), false},
		{"type 2", withHeader(func(h []byte) { h[4] = 2 }), false},
		{"reserved byte", withHeader(func(h []byte) { h[6] = 1 }), false},
		{"length over maxPayload", withHeader(func(h []byte) { le.PutUint32(h[0:4], maxPayload+1) }), false},
		{"empty payload", rawFrame(frameEntries, nil), false},
		{"array(2)", rawFrame(frameEntries, []byte{0x82, 0x01, 0x18, 0x20}), false},
		{"indefinite outer array", rawFrame(frameEntries, []byte{0x9f, 0x01, 0x18, 0x20, 0x80, 0xff}), false},
		{"indefinite entry array", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x9f, 0xff}), false},
		{"indefinite byte string", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x81, 0x5f, 0x41, 0x00, 0xff}), false},
		{"reserved additional info", rawFrame(frameEntries, []byte{0x83, 0x1c, 0x18, 0x20, 0x80}), false},
		{"LSN is negative int", rawFrame(frameEntries, []byte{0x83, 0x20, 0x18, 0x20, 0x80}), false},
		{"entry is a text string", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x81, 0x61, 'a'}), false},
		{"trailing byte", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x80, 0x00}), false},
		{"head cut short", rawFrame(frameEntries, []byte{0x83, 0x01, 0x19, 0x20}), false},
		{"missing entry", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x82, 0x40}), false},
		{"entry runs past payload", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x81, 0x45, 'a'}), false},
		{"lying entry count", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), false},
		{"lying entry size", rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x81, 0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), false},
		{"LSN overflow", rawFrame(frameEntries, []byte{0x83, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x18, 0x20, 0x82, 0x40, 0x40}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, err := decodeFrame(tt.in)
			require.Error(t, err)
			require.Zero(t, n)
			require.Equal(t, decodedFrame{}, f)
			require.Equal(t, tt.damage, isDamage(err), "%v", err)
			if !tt.damage {
				require.ErrorIs(t, err, errFrameInvalid)
			}
		})
	}
}

func TestDecodeFrameAcceptsNonMinimalHeads(t *testing.T) {
	// first LSN 5 as a 64-bit head, synced 32 as a 16-bit head, one entry
	// whose length 2 is an 8-bit head.
	p := []byte{0x83, 0x1b, 0, 0, 0, 0, 0, 0, 0, 5, 0x19, 0, 32, 0x98, 1, 0x58, 2, 'h', 'i'}
	f, n, err := decodeFrame(rawFrame(frameEntries, p))
	require.NoError(t, err)
	require.Equal(t, frameHeaderSize+len(p), n)
	require.Equal(t, decodedFrame{Type: frameEntries, FirstLSN: 5, Synced: 32, Entries: [][]byte{[]byte("hi")}}, f)
}

func TestDecodeFrameLyingCountDoesNotAllocate(t *testing.T) {
	in := rawFrame(frameEntries, []byte{0x83, 0x01, 0x18, 0x20, 0x9a, 0x7f, 0xff, 0xff, 0xff})
	allocs := testing.AllocsPerRun(10, func() {
		_, _, err := decodeFrame(in)
		if err == nil {
			panic("decoded")
		}
	})
	require.LessOrEqual(t, allocs, 8.0) // the error's text, not 2^31 slice headers
}

func TestAppendFramePanicsOverMaxPayload(t *testing.T) {
	// A slice that claims to be over maxPayload long without the memory:
	// the same small buffer many times over.
	chunk := make([]byte, 1<<20)
	var entries [][]byte
	for range maxPayload/len(chunk) + 1 {
		entries = append(entries, chunk)
	}
	require.Panics(t, func() { appendFrame(nil, 1, 32, entries) })
}

func TestSegmentHeader(t *testing.T) {
	h := appendSegmentHeader(nil, 42)
	require.Len(t, h, segmentHeaderSize)
	require.Equal(t, segmentMagic, string(h[:8]))
	require.Equal(t, uint32(segmentVersion), le.Uint32(h[8:12]))
	require.Equal(t, uint64(42), le.Uint64(h[16:24]))
	first, damage, err := readHeader("x", h)
	require.NoError(t, err)
	require.Empty(t, damage)
	require.Equal(t, uint64(42), first)
}

func TestReadHeaderRefuses(t *testing.T) {
	good := appendSegmentHeader(nil, 42)
	mutate := func(f func(h []byte), fixSum bool) []byte {
		h := bytes.Clone(good)
		f(h)
		if fixSum {
			le.PutUint32(h[28:32], checksum(h[:28]))
		}
		return h
	}
	tests := []struct {
		name    string
		in      []byte
		damage  bool
		wantErr error
	}{
		{"empty", nil, true, nil},
		{"short", good[:20], true, nil},
		{"magic", mutate(func(h []byte) { h[0] = 'X' }, true), true, nil},
		{"checksum", mutate(func(h []byte) { h[20] ^= 1 }, false), true, nil},
		{"zero-filled", make([]byte, segmentHeaderSize), true, nil},
		{"version 2", mutate(func(h []byte) { le.PutUint32(h[8:12], 2) }, true), false, ErrVersion},
		// A torn header can hold any version: it is not trusted unless the
		// checksum holds.
		{"version 2, checksum mismatch", mutate(func(h []byte) { le.PutUint32(h[8:12], 2) }, false), true, nil},
		{"version 2, cut short", mutate(func(h []byte) { le.PutUint32(h[8:12], 2) }, true)[:12], true, nil},
		{"version 0", mutate(func(h []byte) { le.PutUint32(h[8:12], 0) }, true), false, ErrCorrupt},
		{"reserved", mutate(func(h []byte) { h[13] = 1 }, true), false, ErrCorrupt},
		{"first LSN 0", mutate(func(h []byte) { le.PutUint64(h[16:24], 0) }, true), false, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, damage, err := readHeader("seg", tt.in)
			require.Equal(t, tt.damage, damage != "")
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				require.True(t, errors.Is(err, ErrVersion) != errors.Is(err, ErrCorrupt))
			}
		})
	}
}
