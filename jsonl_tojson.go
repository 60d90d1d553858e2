package hurrah

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/hurrahdb/hurrah/internal/cborhead"
)

// maxJSONDepth bounds the nesting of arrays and objects in an exported or
// imported JSON value. A value nested deeper is exported as base64, and an
// import line nested deeper is refused, so neither side recurses without
// bound.
const maxJSONDepth = 1000

// CBOR major types and simple values that the JSON rendering knows.
const (
	cborUint   = 0
	cborNeg    = 1
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborSimple = 7

	cborFalse   = 0xf4
	cborTrue    = 0xf5
	cborNull    = 0xf6
	cborFloat64 = 0xfb
)

// appendJSONValue appends the JSON rendering of the CBOR value b to dst and
// reports whether b has one: whether b is exactly one well-formed CBOR item
// that the import's rendering of that JSON (appendCBOR) gives back byte for
// byte. That holds for items made only of
//
//   - unsigned and negative integers, in their shortest head;
//   - float64s (major type 7, 0xfb) that are finite;
//   - text strings of valid UTF-8, in their shortest head;
//   - arrays, and maps whose keys are text strings, all different, of
//     definite length in their shortest head, nested at most maxJSONDepth
//     deep; map keys keep their order;
//   - false, true and null.
//
// Anything else (byte strings, tags, float16 and float32, NaN and the
// infinities, undefined and other simple values, indefinite lengths, longer
// heads than needed, trailing bytes, an empty value) has none; dst is then
// returned with undefined bytes appended.
func appendJSONValue(dst, b []byte) ([]byte, bool) {
	dst, n, ok := appendJSONItem(dst, b, 0)
	return dst, ok && n == len(b)
}

// ValueJSON returns the JSON that Export writes for the stored bytes value
// under "value", or false if Export writes them in base64 under
// "value_base64" instead (raw bytes from SetBytes, the empty value, CBOR
// that JSON cannot hold exactly: see Export). It reads value as CBOR, as
// Export does in a store with the default codec (with another, Export
// writes every value in base64). It lets a program show a
// value as an export would, one value at a time; the hurrah command's get
// and dump do.
func ValueJSON(value []byte) ([]byte, bool) {
	js, ok := appendJSONValue(nil, value)
	if !ok {
		return nil, false
	}
	return js, true
}

// appendJSONItem renders the CBOR item at the start of b, nested depth
// deep, and returns its length in b.
func appendJSONItem(dst, b []byte, depth int) ([]byte, int, bool) {
	if len(b) == 0 {
		return dst, 0, false
	}
	switch b[0] {
	case cborFalse:
		return append(dst, "false"...), 1, true
	case cborTrue:
		return append(dst, "true"...), 1, true
	case cborNull:
		return append(dst, "null"...), 1, true
	case cborFloat64:
		return appendJSONFloat(dst, b)
	}
	major, arg, n, err := cborhead.Read(b)
	if err != nil || n != cborhead.Size(arg) {
		return dst, 0, false // indefinite, reserved, truncated or not shortest
	}
	switch major {
	case cborUint:
		return strconv.AppendUint(dst, arg, 10), n, true
	case cborNeg: // -1 - arg
		if arg == math.MaxUint64 {
			return append(dst, "-18446744073709551616"...), n, true
		}
		return strconv.AppendUint(append(dst, '-'), arg+1, 10), n, true
	case cborText:
		if arg > uint64(len(b)-n) || !utf8.Valid(b[n:n+int(arg)]) {
			return dst, 0, false
		}
		return appendJSONString(dst, b[n:n+int(arg)]), n + int(arg), true
	case cborArray, cborMap:
		if depth >= maxJSONDepth || arg > uint64(len(b)-n) {
			return dst, 0, false // each item takes a byte at least
		}
		return appendJSONContainer(dst, b, major == cborMap, int(arg), n, depth)
	}
	return dst, 0, false // byte strings, tags, other simple values and floats
}

// appendJSONContainer renders the array or map of count items (pairs, for a
// map) whose head, of length n, starts b.
func appendJSONContainer(dst, b []byte, isMap bool, count, n, depth int) ([]byte, int, bool) {
	open, close := byte('['), byte(']')
	if isMap {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	var small [8][]byte
	keys := small[:0] // a map's keys as CBOR (shortest heads: equal keys, equal bytes)
	for i := range count {
		if i > 0 {
			dst = append(dst, ',')
		}
		if isMap {
			if n >= len(b) || b[n]>>5 != cborText {
				return dst, 0, false // a key that is not a text string
			}
			var m int
			var ok bool
			if dst, m, ok = appendJSONItem(dst, b[n:], depth+1); !ok {
				return dst, 0, false
			}
			keys = append(keys, b[n:n+m])
			n += m
			dst = append(dst, ':')
		}
		var m int
		var ok bool
		if dst, m, ok = appendJSONItem(dst, b[n:], depth+1); !ok {
			return dst, 0, false
		}
		n += m
	}
	if hasDuplicate(keys) {
		return dst, 0, false // import refuses a duplicate key
	}
	return append(dst, close), n, true
}

// appendJSONFloat renders the float64 item (0xfb and 8 bytes) that starts
// b. The digits are the shortest that parse back to the same float64, and
// always hold a '.' or an exponent, so that import reads a float, not an
// integer.
func appendJSONFloat(dst, b []byte) ([]byte, int, bool) {
	if len(b) < 9 {
		return dst, 0, false
	}
	var bits uint64
	for _, c := range b[1:9] {
		bits = bits<<8 | uint64(c)
	}
	f := math.Float64frombits(bits)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, 0, false
	}
	start := len(dst)
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	} else {
		dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
	}
	if !slices.ContainsFunc(dst[start:], func(c byte) bool { return c == '.' || c == 'e' }) {
		dst = append(dst, ".0"...)
	}
	return dst, 9, true
}

// appendJSONString appends s, valid UTF-8, as a JSON string: '"' and '\\'
// escaped, control characters as \n, \r, \t, \b, \f or \u00XX, and
// everything else as it is.
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// hasDuplicate reports whether two of keys are equal. It may reorder keys.
func hasDuplicate(keys [][]byte) bool {
	if len(keys) <= 8 {
		for i, k := range keys {
			for _, l := range keys[:i] {
				if bytes.Equal(k, l) {
					return true
				}
			}
		}
		return false
	}
	slices.SortFunc(keys, bytes.Compare)
	for i := 1; i < len(keys); i++ {
		if bytes.Equal(keys[i-1], keys[i]) {
			return true
		}
	}
	return false
}
