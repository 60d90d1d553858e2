package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/hurrahdb/hurrah/internal/cborhead"
)

// decodedFrame is one decoded frame.
type decodedFrame struct {
	// Type is the frame type; a decoded frame always has frameEntries.
	Type uint8
	// FirstLSN is the LSN of Entries[0] (of the entry that would come
	// first, if Entries is empty); entry i has LSN FirstLSN+i.
	FirstLSN uint64
	// Synced is the offset in the segment up to which an fsync had
	// completed when the frame was written.
	Synced uint64
	// Entries are the entries' data. They alias the buffer given to
	// decodeFrame.
	Entries [][]byte
}

// Errors of decodeFrame. The first three describe damage a torn or lost
// write can leave behind; errFrameInvalid describes a frame whose checksums
// pass but whose contents are wrong, which no torn write explains.
var (
	errFrameShort      = errors.New("journal: frame runs past the end of the data")
	errFrameHeaderSum  = errors.New("journal: frame header checksum mismatch")
	errFramePayloadSum = errors.New("journal: frame payload checksum mismatch")
	errFrameInvalid    = errors.New("journal: invalid frame")
)

// frameExtent returns the payload length declared by the frame header at the
// start of b if that header verifies on its own (its checksum, the length
// limit, the reserved bytes), whether or not the payload is all there.
func frameExtent(b []byte) (int64, bool) {
	if len(b) < frameHeaderSize {
		return 0, false
	}
	h := b[:frameHeaderSize]
	if checksum(h[:12]) != binary.LittleEndian.Uint32(h[12:16]) || h[5]|h[6]|h[7] != 0 {
		return 0, false
	}
	length := binary.LittleEndian.Uint32(h[0:4])
	if length > maxPayload {
		return 0, false
	}
	return int64(length), true
}

// isDamage reports whether err from decodeFrame is damage a torn write can
// explain, as opposed to an invalid frame.
func isDamage(err error) bool {
	return errors.Is(err, errFrameShort) || errors.Is(err, errFrameHeaderSum) ||
		errors.Is(err, errFramePayloadSum)
}

// appendFrame appends to dst a frame of type frameEntries holding entries,
// the first of which has LSN firstLSN, and returns the extended slice.
// synced is recorded as the frame's Synced offset. The payload must not
// exceed maxPayload (which any entries within MaxEntry in total guarantee);
// appendFrame panics if it does, as that is a bug in the caller.
func appendFrame(dst []byte, firstLSN, synced uint64, entries [][]byte) []byte {
	size := 1 + cborhead.Size(firstLSN) + cborhead.Size(synced) + cborhead.Size(uint64(len(entries)))
	for _, e := range entries {
		size += cborhead.Size(uint64(len(e))) + len(e)
		if size > maxPayload {
			panic(fmt.Sprintf("journal: appendFrame: payload over maxPayload (%d bytes)", maxPayload))
		}
	}
	dst = slices.Grow(dst, frameHeaderSize+size)
	start := len(dst)
	dst = append(dst, make([]byte, frameHeaderSize)...)
	dst = cborhead.Append(dst, majorArray, 3)
	dst = cborhead.Append(dst, majorUint, firstLSN)
	dst = cborhead.Append(dst, majorUint, synced)
	dst = cborhead.Append(dst, majorArray, uint64(len(entries)))
	for _, e := range entries {
		dst = cborhead.Append(dst, majorBytes, uint64(len(e)))
		dst = append(dst, e...)
	}
	h := dst[start : start+frameHeaderSize]
	binary.LittleEndian.PutUint32(h[0:4], uint32(size))
	h[4] = frameEntries
	binary.LittleEndian.PutUint32(h[8:12], checksum(dst[start+frameHeaderSize:]))
	binary.LittleEndian.PutUint32(h[12:16], checksum(h[:12]))
	return dst
}

// decodeFrame decodes the frame at the start of b and returns it with the
// number of bytes it takes (header and payload). On error n is 0 and f is
// the zero decodedFrame. It checks, in order: that a header is there, the header
// checksum, the declared length (at most maxPayload and no further than the
// end of b), the reserved bytes, the payload checksum, the type, and finally
// that the payload is exactly one well-formed CBOR payload as the format
// constants' documentation describes. It never panics on any input, and it
// allocates at most one slice header per byte of payload whatever the
// counts inside claim.
func decodeFrame(b []byte) (f decodedFrame, n int, err error) {
	if len(b) < frameHeaderSize {
		return decodedFrame{}, 0, errFrameShort
	}
	h := b[:frameHeaderSize]
	if checksum(h[:12]) != binary.LittleEndian.Uint32(h[12:16]) {
		return decodedFrame{}, 0, errFrameHeaderSum
	}
	length := uint64(binary.LittleEndian.Uint32(h[0:4]))
	if length > maxPayload {
		return decodedFrame{}, 0, fmt.Errorf("%w: declared length %d is over maxPayload", errFrameInvalid, length)
	}
	if h[5]|h[6]|h[7] != 0 {
		return decodedFrame{}, 0, fmt.Errorf("%w: reserved header bytes are not zero", errFrameInvalid)
	}
	if length > uint64(len(b)-frameHeaderSize) {
		return decodedFrame{}, 0, errFrameShort
	}
	payload := b[frameHeaderSize : frameHeaderSize+int(length)]
	if checksum(payload) != binary.LittleEndian.Uint32(h[8:12]) {
		return decodedFrame{}, 0, errFramePayloadSum
	}
	if h[4] != frameEntries {
		return decodedFrame{}, 0, fmt.Errorf("%w: unknown type %d", errFrameInvalid, h[4])
	}
	f, err = decodePayload(payload)
	if err != nil {
		return decodedFrame{}, 0, err
	}
	return f, frameHeaderSize + int(length), nil
}

// decodePayload decodes the CBOR payload of an entries frame, strictly.
func decodePayload(p []byte) (decodedFrame, error) {
	r := cborReader{b: p}
	if err := r.expect(majorArray, 3, "payload"); err != nil {
		return decodedFrame{}, err
	}
	first, err := r.uint("first LSN")
	if err != nil {
		return decodedFrame{}, err
	}
	synced, err := r.uint("synced offset")
	if err != nil {
		return decodedFrame{}, err
	}
	count, err := r.head(majorArray, "entry array")
	if err != nil {
		return decodedFrame{}, err
	}
	// Every entry takes at least one byte, so a count larger than what is
	// left is a lie; refusing it bounds the allocation below.
	if count > uint64(r.left()) {
		return decodedFrame{}, fmt.Errorf("%w: entry count %d is more than the %d bytes left", errFrameInvalid, count, r.left())
	}
	if first+count < first {
		return decodedFrame{}, fmt.Errorf("%w: %d entries from LSN %d overflow", errFrameInvalid, count, first)
	}
	var entries [][]byte
	if count > 0 {
		entries = make([][]byte, count)
	}
	for i := range entries {
		size, err := r.head(majorBytes, "entry")
		if err != nil {
			return decodedFrame{}, err
		}
		if size > uint64(r.left()) {
			return decodedFrame{}, fmt.Errorf("%w: entry %d of %d bytes runs past the payload", errFrameInvalid, i, size)
		}
		entries[i] = r.take(int(size))
	}
	if r.left() != 0 {
		return decodedFrame{}, fmt.Errorf("%w: %d trailing bytes after the payload", errFrameInvalid, r.left())
	}
	return decodedFrame{Type: frameEntries, FirstLSN: first, Synced: synced, Entries: entries}, nil
}

// CBOR major types used by the payload.
const (
	majorUint  = cborhead.Uint
	majorBytes = cborhead.Bytes
	majorArray = cborhead.Array
)

// cborReader reads CBOR heads from a payload with cborhead.Read: it accepts
// definite lengths only (additional information 0 to 27) and does not insist
// on the shortest encoding.
type cborReader struct {
	b   []byte
	off int
}

// left returns how many bytes of the payload are still unread.
func (r *cborReader) left() int { return len(r.b) - r.off }

// take returns the next n bytes, which the caller has checked are there,
// with their capacity clipped so that appending to one cannot overwrite the
// next.
func (r *cborReader) take(n int) []byte {
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// head reads one head, which must have the given major type, and returns its
// argument. what names the item in errors.
func (r *cborReader) head(major byte, what string) (uint64, error) {
	got, v, n, err := cborhead.Read(r.b[r.off:])
	switch {
	case errors.Is(err, cborhead.ErrEnd):
		return 0, fmt.Errorf("%w: payload ends before the %s", errFrameInvalid, what)
	case got != major:
		return 0, fmt.Errorf("%w: %s has CBOR major type %d, want %d", errFrameInvalid, what, got, major)
	case errors.Is(err, cborhead.ErrIndefinite):
		return 0, fmt.Errorf("%w: %s has CBOR additional information %d (indefinite or reserved)", errFrameInvalid, what, r.b[r.off]&0x1f)
	case err != nil:
		return 0, fmt.Errorf("%w: payload ends inside the %s head", errFrameInvalid, what)
	}
	r.off += n
	return v, nil
}

// uint reads an unsigned integer.
func (r *cborReader) uint(what string) (uint64, error) { return r.head(majorUint, what) }

// expect reads a head that must have exactly the given type and argument.
func (r *cborReader) expect(major byte, v uint64, what string) error {
	got, err := r.head(major, what)
	if err != nil {
		return err
	}
	if got != v {
		return fmt.Errorf("%w: %s has argument %d, want %d", errFrameInvalid, what, got, v)
	}
	return nil
}
