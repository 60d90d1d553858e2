package store

import (
	"math"

	"github.com/hurrahdb/hurrah/internal/cborhead"
)

// The journal format of the expiry commands (see the table in codec.go),
// written and read by hand: the CBOR library knows nothing of At.
//
//	OpSetAt, OpExpireAt: a CBOR array of five items
//	+------+---------+----------+---------------------+------+----------+
//	| 0x85 | op uint | key bstr | value bstr, or null | null | at int   |
//	+------+---------+----------+---------------------+------+----------+
//
//	an OpSetAt inside a batch: a CBOR array of four items
//	+------+------+----------+---------------------+----------+
//	| 0x84 | 0x07 | key bstr | value bstr, or null | at int   |
//	+------+------+----------+---------------------+----------+
//
// at is the deadline in Unix nanoseconds, a CBOR integer (major type 0, or
// 1 for an instant before 1970). OpExpireAt has a null value, and at 0
// drops the key's deadline. OpExpire (9) is laid out as a batch (op 9,
// empty key, null value, the array of mutations), each an OpDelete.
// So, in bytes:
//
//	set "k" to "v" until 1000:    85 07 41 6b 41 76 f6 19 03e8
//	drop the deadline of "k":     85 08 41 6b f6 f6 00
//	"a" expired:                  84 09 40 f6 81 83 02 41 61 f6
//	a batch: "a" to "1" until 5:  84 04 40 f6 81 84 07 41 61 41 31 05

// cborNegative is the CBOR major type of negative integers.
const cborNegative byte = 1

// appendInt appends v as a CBOR integer in its shortest form.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return cborhead.Append(b, cborhead.Uint, uint64(v))
	}
	return cborhead.Append(b, cborNegative, uint64(-1-v))
}

// intLen is the size of v as a CBOR integer.
func intLen(v int64) int {
	if v >= 0 {
		return cborhead.Size(uint64(v))
	}
	return cborhead.Size(uint64(-1 - v))
}

// readInt decodes a CBOR integer that fits in an int64 at the start of b.
func readInt(b []byte) (v int64, rest []byte, ok bool) {
	m, arg, n, err := cborhead.Read(b)
	if err != nil || (m != cborhead.Uint && m != cborNegative) || arg > math.MaxInt64 {
		return 0, nil, false
	}
	if m == cborNegative {
		return -1 - int64(arg), b[n:], true
	}
	return int64(arg), b[n:], true
}

// appendValue appends value as a CBOR byte string, or null if nil, and
// returns where its bytes start.
func appendValue(b, value []byte) ([]byte, int) {
	if value == nil {
		return append(b, 0xf6), -1
	}
	b = appendHead(b, len(value))
	return append(b, value...), len(b)
}

// encodeAt writes an OpSetAt or an OpExpireAt, and returns the value's bytes
// inside the encoding (nil for a nil value).
func encodeAt(op Op, key string, value []byte, at int64) (data, stored []byte) {
	n := 2 + headLen(len(key)) + len(key) + 1 + headLen(len(value)) + len(value) + 1 + intLen(at)
	b := make([]byte, 0, n)
	b = append(b, 0x85, byte(op))
	b = appendHead(b, len(key))
	b = append(b, key...)
	b, start := appendValue(b, value)
	if start >= 0 {
		stored = b[start:len(b):len(b)]
	}
	b = append(b, 0xf6)
	return appendInt(b, at), stored
}

// EncodeSetAt returns the journal encoding of setting key to value with
// the deadline at (Unix ns), and the value's bytes inside it, as EncodeSet
// does for a plain set.
func EncodeSetAt(key string, value []byte, at int64) (data, stored []byte) {
	return encodeAt(OpSetAt, key, value, at)
}

// decodeAt decodes an OpSetAt or an OpExpireAt in the form encodeAt writes
// (longer heads too). It reports false for anything else.
func decodeAt(b []byte) (Command, bool) {
	if len(b) < 6 || b[0] != 0x85 || (b[1] != byte(OpSetAt) && b[1] != byte(OpExpireAt)) {
		return Command{}, false
	}
	op := Op(b[1])
	key, rest, ok := byteString(b[2:])
	if !ok || key == nil {
		return Command{}, false
	}
	value, rest, ok := byteString(rest)
	if !ok || len(rest) < 1 || rest[0] != 0xf6 || (op == OpExpireAt && value != nil) {
		return Command{}, false
	}
	at, rest, ok := readInt(rest[1:])
	if !ok || len(rest) != 0 {
		return Command{}, false
	}
	c := Command{Op: op, Key: string(key), At: at}
	if value != nil {
		c.Value = append(make([]byte, 0, len(value)), value...)
	}
	return c, true
}

// expireHead starts the encoding of an OpExpire, as batchHead a batch's.
var expireHead = [...]byte{0x84, byte(OpExpire), 0x40, 0xf6}
