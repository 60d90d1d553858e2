package cborhead

import "encoding/binary"

// CBOR major types.
const (
	Uint  byte = 0 // an unsigned integer
	Bytes byte = 2 // a byte string; the argument is its length
	Array byte = 4 // an array; the argument is its number of items
)

// Size is the size of the shortest CBOR head for the argument v.
func Size(v uint64) int {
	switch {
	case v < 24:
		return 1
	case v <= 0xff:
		return 2
	case v <= 0xffff:
		return 3
	case v <= 0xffffffff:
		return 5
	default:
		return 9
	}
}

// Append appends the shortest CBOR head of the given major type and
// argument.
func Append(dst []byte, major byte, v uint64) []byte {
	m := major << 5
	switch {
	case v < 24:
		return append(dst, m|byte(v))
	case v <= 0xff:
		return append(dst, m|24, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, m|25), uint16(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, m|26), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(dst, m|27), v)
	}
}
