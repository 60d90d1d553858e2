package journal

import (
	"bytes"
	"hash/crc32"
)

// crcTable is the CRC32C table of the format, made here, apart from the
// package's own, so that the fuzz targets forge checksums with code that
// does not share the journal's.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, crcTable) }

// forgeFrame returns a frame of type typ whose length field says length and
// whose two checksums are right for the header and for payload, which is
// appended whatever length says.
func forgeFrame(length uint32, typ byte, payload []byte) []byte {
	h := make([]byte, frameHeaderSize, frameHeaderSize+len(payload))
	le.PutUint32(h[0:4], length)
	h[4] = typ
	le.PutUint32(h[8:12], crc(payload))
	le.PutUint32(h[12:16], crc(h[:12]))
	return append(h, payload...)
}

// frameOf returns a well-checksummed entries frame around payload.
func frameOf(payload []byte) []byte {
	return forgeFrame(uint32(len(payload)), frameEntries, payload)
}

// fixFrame returns a copy of b with the frame checksums at its start made
// right: the payload checksum if the declared payload fits in b, and the
// header checksum if there is a header. It lets a fuzz target reach the
// payload decoder, which random bytes almost never do past a CRC32C.
func fixFrame(b []byte) []byte {
	b = bytes.Clone(b)
	fixFrameAt(b, 0)
	return b
}

// fixFrameAt fixes the checksums of the frame at off in b in place, as
// fixFrame does, and returns the offset after it, or len(b) if its payload
// runs past the end.
func fixFrameAt(b []byte, off int) int {
	if len(b)-off < frameHeaderSize {
		return len(b)
	}
	h := b[off : off+frameHeaderSize]
	end := len(b)
	if length := uint64(le.Uint32(h[0:4])); length <= uint64(len(b)-off-frameHeaderSize) {
		end = off + frameHeaderSize + int(length)
		le.PutUint32(h[8:12], crc(b[off+frameHeaderSize:end]))
	}
	le.PutUint32(h[12:16], crc(h[:12]))
	return end
}

// fixSegment returns a copy of data with the segment header checksum and
// the checksums of the chain of frames after it made right.
func fixSegment(data []byte) []byte {
	data = bytes.Clone(data)
	if len(data) < segmentHeaderSize {
		return data
	}
	le.PutUint32(data[28:32], crc(data[:28]))
	for off := segmentHeaderSize; off < len(data); {
		off = fixFrameAt(data, off)
	}
	return data
}

// framesEqual reports whether two decoded frames hold the same values; a
// nil and an empty entry list, or entry, are equal.
func framesEqual(a, b decodedFrame) bool {
	if a.Type != b.Type || a.FirstLSN != b.FirstLSN || a.Synced != b.Synced || len(a.Entries) != len(b.Entries) {
		return false
	}
	for i := range a.Entries {
		if !bytes.Equal(a.Entries[i], b.Entries[i]) {
			return false
		}
	}
	return true
}
