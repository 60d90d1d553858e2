package fuzzkit

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
)

// MaxAllocPerCall bounds what one decode of a small input with lying size
// fields may allocate: whatever a field claims, nothing near it is
// allocated.
const MaxAllocPerCall = 64 << 10

// AllocPerCall returns the bytes fn allocates per call, on average over
// runs calls after a first one (which may initialize caches).
func AllocPerCall(runs int, fn func()) uint64 {
	fn()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// CBOR major types of the frame payload and of commands.
const (
	MajorUint  = 0
	MajorBytes = 2
	MajorArray = 4
)

// Head appends a CBOR head of the given major type whose argument v is
// written in size bytes (0 for an argument under 24 in the initial byte;
// 1, 2, 4 or 8 otherwise), shortest or not.
func Head(dst []byte, major byte, v uint64, size int) []byte {
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

// Flip returns a copy of b with bit bit of byte i inverted.
func Flip(b []byte, i, bit int) []byte {
	b = bytes.Clone(b)
	b[i] ^= 1 << bit
	return b
}

// ZeroTail returns a copy of b with every byte from i on set to zero.
func ZeroTail(b []byte, i int) []byte {
	b = bytes.Clone(b)
	clear(b[i:])
	return b
}

// Unhex decodes hex with spaces between groups; it panics on bad hex,
// which is a bug in a seed list.
func Unhex(s string) []byte {
	var b []byte
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, " ", ""), "%x", &b); err != nil {
		panic(err)
	}
	return b
}
