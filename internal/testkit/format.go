package testkit

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/fxamacker/cbor/v2"
)

// The on-disk format as journal/format.go and journal/snapshot_format.go
// draw it, for the tests outside journal that build store files or damage
// them at a chosen place. It is written here from the drawings, with a
// general CBOR library, rather than borrowed from the journal, whose
// encoder stays unexported; journal's TestTestkitFormat pins it to the
// journal's own, byte for byte.
const (
	// SegmentHeaderSize is the size of a segment header; the first frame
	// starts after it.
	SegmentHeaderSize = 32
	// FrameHeaderSize is the size of a frame header; the payload follows.
	FrameHeaderSize = 16
	// SnapshotHeaderSize is the size of a snapshot header; the records
	// follow.
	SnapshotHeaderSize = 40
)

// SnapshotName returns the file name of the snapshot at lsn.
func SnapshotName(lsn uint64) string { return fmt.Sprintf("snap-%020d.hsnap", lsn) }

// Frame is one frame of a segment image.
type Frame struct {
	Off      int64  // where its header starts in the segment
	FirstLSN uint64 // the LSN of its first entry
	Synced   uint64 // the offset it says was fsynced when it was written
	Entries  [][]byte
}

// payload is a frame's payload: array(3) [firstLSN, synced, array of bstr].
type payload struct {
	_        struct{} `cbor:",toarray"`
	FirstLSN uint64
	Synced   uint64
	Entries  [][]byte
}

// payloadEnc writes payloads as the journal does: shortest heads, and an
// empty array or byte string (never null) for no entries or an empty one.
var payloadEnc = func() cbor.EncMode {
	m, err := cbor.EncOptions{NilContainers: cbor.NilContainerAsEmpty}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

var (
	le         = binary.LittleEndian
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// Frames returns the frames of a sound segment image, in order. It checks
// no checksum: it is for finding where to damage a segment, not for
// judging one.
func Frames(seg []byte) ([]Frame, error) {
	if len(seg) < SegmentHeaderSize {
		return nil, fmt.Errorf("testkit: a segment of %d bytes has no header", len(seg))
	}
	var fs []Frame
	for off := SegmentHeaderSize; off < len(seg); {
		if len(seg)-off < FrameHeaderSize {
			return nil, fmt.Errorf("testkit: the frame header at %d runs past the end", off)
		}
		end := off + FrameHeaderSize + int(le.Uint32(seg[off:]))
		if end > len(seg) {
			return nil, fmt.Errorf("testkit: the frame at %d runs past the end", off)
		}
		var p payload
		if err := cbor.Unmarshal(seg[off+FrameHeaderSize:end], &p); err != nil {
			return nil, fmt.Errorf("testkit: the frame at %d: %w", off, err)
		}
		fs = append(fs, Frame{Off: int64(off), FirstLSN: p.FirstLSN, Synced: p.Synced, Entries: p.Entries})
		off = end
	}
	return fs, nil
}

// AppendSegmentHeader appends to dst the header of a segment whose first
// entry has LSN first.
func AppendSegmentHeader(dst []byte, first uint64) []byte {
	h := make([]byte, SegmentHeaderSize)
	copy(h, "HURRAHWL")
	le.PutUint32(h[8:], 1) // the version
	le.PutUint64(h[16:], first)
	le.PutUint32(h[28:], crc(h[:28]))
	return append(dst, h...)
}

// AppendFrame appends to dst a frame of entries, the first of which has
// LSN first, that says synced bytes of its segment were fsynced.
func AppendFrame(dst []byte, first, synced uint64, entries [][]byte) []byte {
	p, err := payloadEnc.Marshal(payload{FirstLSN: first, Synced: synced, Entries: entries})
	if err != nil {
		panic(err) // a struct of integers and byte strings always encodes
	}
	h := make([]byte, FrameHeaderSize)
	le.PutUint32(h[0:], uint32(len(p)))
	h[4] = 1 // the type of a frame of entries
	le.PutUint32(h[8:], crc(p))
	le.PutUint32(h[12:], crc(h[:12]))
	return append(append(dst, h...), p...)
}
