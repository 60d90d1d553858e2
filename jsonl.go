package hurrah

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// The export format: JSON Lines (https://jsonlines.org), one key and its
// value per line, each line a JSON object ended by "\n":
//
//	{"key":"user:1","value":{"Age":36,"Name":"Ada"}}
//	{"key":"blob","value_base64":"AAEC/w=="}
//	{"key_base64":"/w==","value":"a key that is not UTF-8"}
//
// The key is a JSON string under "key" if it is valid UTF-8, else its bytes
// in standard base64 with padding (RFC 4648 section 4) under "key_base64".
//
// The value is JSON under "value" if it is a CBOR value (as Set stores
// them) that JSON renders exactly, so that import turns the JSON back into
// the same bytes (see appendJSONValue for what qualifies): integers,
// finite float64s, UTF-8 text strings, arrays, maps with distinct text
// keys, true, false and null, all with the shortest CBOR heads. A float64
// is always written with a '.' or an exponent, an integer never is. Every
// other value, such as raw bytes from SetBytes, the empty value, or CBOR
// holding byte strings, tags (a time.Time), float32s, NaN or an indefinite
// length, is written as its bytes in base64 under "value_base64".
//
// Export writes the fields in that order, no white space, strings with
// only '"', '\\' and control characters escaped, and the lines in
// increasing byte order of the keys: the same store always exports to the
// same bytes. Import is more lenient: fields in any order, white space
// around tokens, "\r\n" line ends, blank lines (skipped), any JSON escape,
// a UTF-8 byte order mark at the start of the input (skipped).
// It refuses a line that is not a JSON object with exactly one of the key
// fields and one of the value fields, a field it does not know or gives
// twice, an object with a duplicate key inside a value, a string that is
// not valid UTF-8 or holds half a surrogate pair, base64 that is not
// canonical, an integer out of CBOR's range (-2^64 to 2^64-1), a number
// out of a float64's, and nesting deeper than 1000.
const (
	fieldKey         = "key"
	fieldKeyBase64   = "key_base64"
	fieldValue       = "value"
	fieldValueBase64 = "value_base64"
	fieldExpires     = "expires" // optional: the key's deadline (expiry_jsonl.go)
)

// appendLine appends the export line of key and value, "\n" included, and
// reports whether the value was written as JSON: only if cbor says the
// value is CBOR (the store's codec is CBORCodec) and JSON holds it.
func appendLine(dst []byte, key string, value []byte, cbor bool) ([]byte, bool) {
	if utf8.ValidString(key) {
		dst = appendJSONString(append(dst, `{"`+fieldKey+`":`...), key)
	} else {
		dst = append(dst, `{"`+fieldKeyBase64+`":"`...)
		dst = append(base64.StdEncoding.AppendEncode(dst, []byte(key)), '"')
	}
	start := len(dst)
	dst = append(dst, `,"`+fieldValue+`":`...)
	ok := false
	if cbor {
		dst, ok = appendJSONValue(dst, value)
	}
	if !ok {
		dst = append(dst[:start], `,"`+fieldValueBase64+`":"`...)
		dst = append(base64.StdEncoding.AppendEncode(dst, value), '"')
	}
	return append(dst, "}\n"...), ok
}

// isBlank reports whether line holds only JSON white space.
func isBlank(line []byte) bool {
	return len(bytes.Trim(line, " \t\r\n")) == 0
}

// line parses one line of the format. It returns the key and the value's
// bytes (CBOR for a JSON value), both held in p until the next call.
func (p *jsonParser) line(s []byte) (key, value []byte, err error) {
	p.s, p.i, p.nodes, p.scratch, p.at = s, 0, p.nodes[:0], p.scratch[:0], 0
	if err := p.expect('{', "the line's object"); err != nil {
		return nil, nil, err
	}
	var seen [len(fieldNames)]bool // the fields in the order of fieldNames
	valueNodes := -1
	for more := true; more; {
		f, err := p.fieldName()
		if err != nil {
			return nil, nil, err
		}
		if seen[f] {
			return nil, nil, p.fail("field %q given twice", fieldNames[f])
		}
		seen[f] = true
		switch f {
		case fKey:
			key, err = p.decodedString(p.key[:0], false, "the key")
			p.key = key
		case fKeyBase64:
			key, err = p.decodedString(p.key[:0], true, "the key in base64")
			p.key = key
		case fValue:
			valueNodes = len(p.nodes)
			err = p.value(0)
		case fValueBase64:
			value, err = p.decodedString(p.val[:0], true, "the value in base64")
			p.val = value
		case fExpires:
			err = p.expires()
		}
		if err != nil {
			return nil, nil, err
		}
		if more, err = p.nextField(); err != nil {
			return nil, nil, err
		}
	}
	if err := p.end(seen); err != nil {
		return nil, nil, err
	}
	if valueNodes >= 0 {
		if value, err = p.toCBOR(p.val[:0], p.nodes[valueNodes:]); err != nil {
			return nil, nil, err
		}
		p.val = value
	}
	return key, value, nil
}

// strictBase64 is the only base64 a line may hold: the standard alphabet
// with padding, with the unused bits of the last character zero. (Decoding
// skips "\r" and "\n", so decodedString refuses them first.)
var strictBase64 = base64.StdEncoding.Strict()

// The fields of a line, as indexes into fieldNames.
const (
	fKey = iota
	fKeyBase64
	fValue
	fValueBase64
	fExpires
)

// fieldNames are the fields of a line, in the order of their indexes.
var fieldNames = [...]string{fieldKey, fieldKeyBase64, fieldValue, fieldValueBase64, fieldExpires}

// fieldName parses a field's name and the ':' after it, and returns its
// index in fieldNames.
func (p *jsonParser) fieldName() (int, error) {
	at := p.i
	p.skipSpace()
	name, err := p.decodedString(p.name[:0], false, "a field's name")
	if err != nil {
		return 0, err
	}
	p.name = name
	for f, known := range fieldNames {
		if string(name) == known {
			return f, p.expect(':', "':' after a field's name")
		}
	}
	p.i = at
	return 0, p.fail("unknown field %q (a line has %q or %q, %q or %q, and may have %q)",
		name, fieldKey, fieldKeyBase64, fieldValue, fieldValueBase64, fieldExpires)
}

// nextField parses the ',' before another field, or the '}' that ends the
// line's object, and reports which.
func (p *jsonParser) nextField() (bool, error) {
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ',' {
		p.i++
		return true, nil
	}
	return false, p.expect('}', "a ',' or the end of the line's object")
}

// end checks that nothing but white space follows the line's object, and
// that it had a key and a value.
func (p *jsonParser) end(seen [len(fieldNames)]bool) error {
	p.skipSpace()
	switch {
	case p.i < len(p.s):
		return p.fail("%q after the line's object", p.s[p.i])
	case seen[fKey] == seen[fKeyBase64]:
		return p.fail("a line needs one key: %q or %q", fieldKey, fieldKeyBase64)
	case seen[fValue] == seen[fValueBase64]:
		return p.fail("a line needs one value: %q or %q", fieldValue, fieldValueBase64)
	}
	return nil
}

// decodedString parses a string and appends its contents to dst,
// decoded from base64 if b64.
func (p *jsonParser) decodedString(dst []byte, b64 bool, what string) ([]byte, error) {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return nil, p.fail("%s should be here, a string", what)
	}
	at := p.i
	n, err := p.str()
	if err != nil {
		return nil, err
	}
	if !b64 {
		return p.unescape(dst, n), nil
	}
	s := p.s[n.a:n.b] // without escapes, it holds no control character
	if n.kind == jnEscaped {
		s = p.unescape(p.b64[:0], n)
		p.b64 = s
	}
	out, err := strictBase64.AppendDecode(dst, s)
	if err != nil || (n.kind == jnEscaped && bytes.ContainsAny(s, "\r\n")) {
		p.i = at + 1
		return nil, p.fail("invalid base64 (standard alphabet, with padding)")
	}
	return out, nil
}
