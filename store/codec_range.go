package store

import "errors"

// The journal format of a range delete (see the table in codec.go): the
// command's array of four, with the start key as the key and the end key
// as the value, null for no end.
//
//	OpDeleteRange: a CBOR array of four items
//	+------+------+------------+-------------------------+------+
//	| 0x84 | 0x0b | start bstr | end bstr, or null       | null |
//	+------+------+------------+-------------------------+------+
//
// An empty end reads as no end, as null does. A start after a non-empty
// end does not decode. So deleting the keys that start with "a" (the range
// ["a", "b")) is
//
//	84 0b 41 61 41 62 f6
//
// and every key from "a" on is 84 0b 41 61 f6 f6. Sets and deletes share
// the layout, so the hand decoder (codec_fast.go) reads it too.

// errBadRange is the error of a range delete whose start is after its end.
var errBadRange = errors.New("store: range starts after its end")

// simpleOp reports whether op is laid out as an array of four with a key,
// a value or null, and a null batch, which decodeSimple reads.
func simpleOp(op Op) bool { return op == OpSet || op == OpDelete || op == OpDeleteRange }

// validRange reports whether [start, end) is a range: start at or before
// end, or no end.
func validRange(start string, end []byte) bool {
	return len(end) == 0 || start <= string(end)
}

// encodeDeleteRange writes a range delete, its end nil for no end.
func encodeDeleteRange(start string, end []byte) []byte {
	if len(end) == 0 {
		end = nil
	}
	b, _ := encodeSimple(OpDeleteRange, start, end)
	return b
}

// DeleteRangeCommand returns the command that deletes every key in
// [start, end) ("" end: no end).
func DeleteRangeCommand(start, end string) Command {
	c := Command{Op: OpDeleteRange, Key: start}
	if end != "" {
		c.Value = []byte(end)
	}
	return c
}
