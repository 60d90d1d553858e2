package hurrah

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/hurrahdb/hurrah/internal/cborhead"
)

// toCBOR appends the CBOR encoding of the parsed JSON value nodes to dst.
// It is the inverse of appendJSONValue: every head is the shortest, arrays
// and objects have definite lengths, an object's keys keep their order, an
// integer becomes a CBOR integer (from -2^64 to 2^64-1; others are
// refused), any other number a float64 (refused if it overflows one), a
// string a text string, and true, false and null the CBOR simple values.
func (p *jsonParser) toCBOR(dst []byte, nodes []jnode) ([]byte, error) {
	for _, n := range nodes {
		var err error
		if dst, err = p.appendNode(dst, n); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendNode appends the CBOR of one node: a scalar, or the head of an
// array or map.
func (p *jsonParser) appendNode(dst []byte, n jnode) ([]byte, error) {
	switch n.kind {
	case jnArray:
		return cborhead.Append(dst, cborArray, uint64(n.n)), nil
	case jnObject:
		return cborhead.Append(dst, cborMap, uint64(n.n)), nil
	case jnRaw:
		return append(cborhead.Append(dst, cborText, uint64(n.n)), p.s[n.a:n.b]...), nil
	case jnEscaped:
		return p.unescape(cborhead.Append(dst, cborText, uint64(n.n)), n), nil
	case jnInt:
		return p.appendInt(dst, n)
	case jnFloat:
		f, err := strconv.ParseFloat(string(p.s[n.a:n.b]), 64)
		if err != nil {
			return dst, &jsonSyntaxError{Byte: n.a + 1, Msg: "a number beyond the range of a float64"}
		}
		return binary.BigEndian.AppendUint64(append(dst, cborFloat64), math.Float64bits(f)), nil
	case jnTrue:
		return append(dst, cborTrue), nil
	case jnFalse:
		return append(dst, cborFalse), nil
	default:
		return append(dst, cborNull), nil
	}
}

// appendInt appends the CBOR integer of the number node n, written
// without fraction or exponent.
func (p *jsonParser) appendInt(dst []byte, n jnode) ([]byte, error) {
	digits := string(p.s[n.a:n.b])
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	switch {
	case err == nil && !neg:
		return cborhead.Append(dst, cborUint, u), nil
	case err == nil && u == 0:
		return cborhead.Append(dst, cborUint, 0), nil // -0
	case err == nil:
		return cborhead.Append(dst, cborNeg, u-1), nil
	case neg && digits == "18446744073709551616": // -2^64, CBOR's least
		return cborhead.Append(dst, cborNeg, math.MaxUint64), nil
	}
	return dst, &jsonSyntaxError{Byte: n.a + 1, Msg: "an integer beyond CBOR's range, -2^64 to 2^64-1"}
}

// unescape appends the contents of the string node n, escapes decoded.
// str has checked them.
func (p *jsonParser) unescape(dst []byte, n jnode) []byte {
	save := p.i
	defer func() { p.i = save }()
	start := n.a
	for p.i = n.a; p.i < n.b; {
		if p.s[p.i] != '\\' {
			p.i++
			continue
		}
		dst = append(dst, p.s[start:p.i]...)
		r, size, _ := p.escape()
		dst = utf8.AppendRune(dst, r)
		p.i += size
		start = p.i
	}
	return append(dst, p.s[start:n.b]...)
}
