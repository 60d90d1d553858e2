package fuzz_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"strings"

	"github.com/hurrahdb/hurrah/journal"
)

var le = binary.LittleEndian

// castagnoli is the CRC32C table of the journal format, computed here so
// that tests can forge checksums without reaching into the journal.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// seed is one input of a fuzz target: a file name for the corpus and the
// target's arguments, in order.
type seed struct {
	name string
	args []any
}

// marshalCorpus encodes args in the "go test fuzz v1" corpus file format,
// as the go command writes it, for the argument types the targets use.
func marshalCorpus(args ...any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case uint32, uint64:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("marshalCorpus: unsupported type %T", a))
		}
	}
	return b.Bytes()
}

// unmarshalCorpus decodes a corpus file written by marshalCorpus (or by the
// go command, for the same argument types).
func unmarshalCorpus(data []byte) ([]any, error) {
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "go test fuzz v1" {
		return nil, fmt.Errorf("not a go test fuzz v1 file")
	}
	var args []any
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		typ, rest, ok := strings.Cut(line, "(")
		if !ok || !strings.HasSuffix(rest, ")") {
			return nil, fmt.Errorf("malformed line %q", line)
		}
		lit := strings.TrimSuffix(rest, ")")
		switch typ {
		case "[]byte":
			s, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			args = append(args, []byte(s))
		case "byte", "uint8":
			if strings.HasPrefix(lit, "'") {
				s, err := strconv.Unquote(lit)
				if err != nil || len(s) > 1 && len([]rune(s)) != 1 {
					return nil, fmt.Errorf("line %q: bad byte", line)
				}
				r := []rune(s)[0]
				if r > math.MaxUint8 {
					return nil, fmt.Errorf("line %q: byte out of range", line)
				}
				args = append(args, byte(r))
				continue
			}
			v, err := strconv.ParseUint(lit, 0, 8)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			args = append(args, byte(v))
		case "uint32":
			v, err := strconv.ParseUint(lit, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			args = append(args, uint32(v))
		case "uint64":
			v, err := strconv.ParseUint(lit, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			args = append(args, v)
		default:
			return nil, fmt.Errorf("line %q: unsupported type %s", line, typ)
		}
	}
	return args, nil
}

// CBOR major types of the frame payload and of commands.
const (
	majorUint  = 0
	majorBytes = 2
	majorArray = 4
)

// cborHead appends a CBOR head of the given major type whose argument v is
// written in size bytes (0 for an argument under 24 in the initial byte;
// 1, 2, 4 or 8 otherwise), shortest or not.
func cborHead(dst []byte, major byte, v uint64, size int) []byte {
	m := major << 5
	switch size {
	case 0:
		return append(dst, m|byte(v))
	case 1:
		return append(dst, m|24, byte(v))
	case 2:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(v))
	case 4:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, m|27), v)
	}
}

// rawFrame returns a frame of type typ whose length field says length and
// whose two checksums are right for the header and for payload, which is
// appended whatever length says.
func rawFrame(length uint32, typ byte, payload []byte) []byte {
	h := make([]byte, journal.FrameHeaderSize, journal.FrameHeaderSize+len(payload))
	le.PutUint32(h[0:4], length)
	h[4] = typ
	le.PutUint32(h[8:12], crc(payload))
	le.PutUint32(h[12:16], crc(h[:12]))
	return append(h, payload...)
}

// frameOf returns a well-checksummed entries frame around payload.
func frameOf(payload []byte) []byte {
	return rawFrame(uint32(len(payload)), journal.FrameEntries, payload)
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
	if len(b)-off < journal.FrameHeaderSize {
		return len(b)
	}
	h := b[off : off+journal.FrameHeaderSize]
	end := len(b)
	if length := uint64(le.Uint32(h[0:4])); length <= uint64(len(b)-off-journal.FrameHeaderSize) {
		end = off + journal.FrameHeaderSize + int(length)
		le.PutUint32(h[8:12], crc(b[off+journal.FrameHeaderSize:end]))
	}
	le.PutUint32(h[12:16], crc(h[:12]))
	return end
}

// fixSegment returns a copy of data with the segment header checksum and
// the checksums of the chain of frames after it made right.
func fixSegment(data []byte) []byte {
	data = bytes.Clone(data)
	if len(data) < journal.HeaderSize {
		return data
	}
	le.PutUint32(data[28:32], crc(data[:28]))
	for off := journal.HeaderSize; off < len(data); {
		off = fixFrameAt(data, off)
	}
	return data
}

// framesEqual reports whether two decoded frames hold the same values; a
// nil and an empty entry list, or entry, are equal.
func framesEqual(a, b journal.Frame) bool {
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

// flip returns a copy of b with bit bit of byte i inverted.
func flip(b []byte, i, bit int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 1 << bit
	return b
}

// zeroTail returns a copy of b with every byte from i on set to zero.
func zeroTail(b []byte, i int) []byte {
	b = bytes.Clone(b)
	clear(b[i:])
	return b
}
