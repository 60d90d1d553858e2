package hurrah

import (
	"fmt"
	"unicode/utf8"
)

// jsonSyntaxError is a line of an import that is not what the format
// allows: what is wrong and the byte of the line (from 1) where it was
// found.
type jsonSyntaxError struct {
	Byte int
	Msg  string
}

func (e *jsonSyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.Byte, e.Msg) }

// jnode is one JSON value of a parsed line, in the order the values
// appear (a container before its items); toCBOR turns a run of them into
// CBOR.
type jnode struct {
	kind byte // one of the jn constants
	n    int  // items of an array, pairs of an object, bytes of an unescaped string
	a, b int  // a string's contents (between the quotes) or a number, in the line
}

// Kinds of jnode.
const (
	jnArray   = '['
	jnObject  = '{'
	jnRaw     = 's' // a string without escapes: its bytes are its contents
	jnEscaped = 'S' // a string with escapes
	jnInt     = 'i' // a number without fraction or exponent
	jnFloat   = 'd' // a number with either
	jnTrue    = 't'
	jnFalse   = 'f'
	jnNull    = 'n'
)

// jsonParser parses JSON values of one line at a time. Its buffers are
// reused from line to line.
type jsonParser struct {
	s       []byte
	i       int
	nodes   []jnode
	scratch []byte // the CBOR of object keys, to find duplicates
	name    []byte // a field's name
	key     []byte // the key of the line
	val     []byte // the value of the line
	b64     []byte // base64 text, unescaped
	// maxNodes, if not 0, is the most nodes a value may have: Import's
	// MaxValueSize, since each node adds a byte of CBOR at least. It
	// bounds the nodes of a line by the store's limit, not the line's.
	maxNodes int
	at       int64 // the line's deadline in Unix ns ("expires"), or 0
}

func (p *jsonParser) fail(format string, args ...any) error {
	return &jsonSyntaxError{Byte: p.i + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// expect skips white space and then the byte c.
func (p *jsonParser) expect(c byte, what string) error {
	p.skipSpace()
	if p.i >= len(p.s) {
		return p.fail("the line ends where %s (%q) should be", what, c)
	}
	if p.s[p.i] != c {
		return p.fail("%q where %s (%q) should be", p.s[p.i], what, c)
	}
	p.i++
	return nil
}

// value parses one JSON value, nested depth containers deep, into nodes.
func (p *jsonParser) value(depth int) error {
	if p.maxNodes > 0 && len(p.nodes) >= p.maxNodes {
		return fmt.Errorf("%w: the value has more items than MaxValueSize %d bytes of CBOR can hold", ErrTooLarge, p.maxNodes)
	}
	p.skipSpace()
	if p.i >= len(p.s) {
		return p.fail("the line ends where a value should be")
	}
	switch c := p.s[p.i]; {
	case c == '[' || c == '{':
		return p.container(depth)
	case c == '"':
		n, err := p.str()
		if err == nil {
			p.nodes = append(p.nodes, n)
		}
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for _, lit := range [...]struct {
		text string
		kind byte
	}{{"true", jnTrue}, {"false", jnFalse}, {"null", jnNull}} {
		if len(p.s)-p.i >= len(lit.text) && string(p.s[p.i:p.i+len(lit.text)]) == lit.text {
			p.i += len(lit.text)
			p.nodes = append(p.nodes, jnode{kind: lit.kind})
			return nil
		}
	}
	return p.fail("%q cannot start a value", p.s[p.i])
}

// container parses an array or an object.
func (p *jsonParser) container(depth int) error {
	if depth >= maxJSONDepth {
		return p.fail("arrays and objects nested more than %d deep", maxJSONDepth)
	}
	isObj := p.s[p.i] == '{'
	closer, what := byte(']'), "a ',' or the end of the array"
	if isObj {
		closer, what = '}', "a ',' or the end of the object"
	}
	p.i++
	at := len(p.nodes)
	p.nodes = append(p.nodes, jnode{kind: jnArray})
	if isObj {
		p.nodes[at].kind = jnObject
	}
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == closer {
		p.i++
		return nil
	}
	var small [8][]byte
	keys := small[:0]
	mark := len(p.scratch)
	for count := 1; ; count++ {
		if isObj {
			key, err := p.objectKey()
			if err != nil {
				return err
			}
			keys = append(keys, key)
		}
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.nodes[at].n = count
		p.skipSpace()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if err := p.expect(closer, what); err != nil {
			return err
		}
		break
	}
	if hasDuplicate(keys) {
		return &jsonSyntaxError{Byte: p.i, Msg: "an object with a duplicate key"}
	}
	p.scratch = p.scratch[:mark] // the keys of this object are checked
	return nil
}

// objectKey parses a key of an object and the ':' after it, and returns the
// key's CBOR encoding, held in scratch.
func (p *jsonParser) objectKey() ([]byte, error) {
	if err := p.expect('"', "a key"); err != nil {
		return nil, err
	}
	p.i--
	n, err := p.str()
	if err != nil {
		return nil, err
	}
	start := len(p.scratch)
	p.nodes = append(p.nodes, n)
	p.scratch, _ = p.appendNode(p.scratch, n) // a string: no error
	return p.scratch[start:], p.expect(':', "':' after a key")
}

// str parses the string that starts at p.i and returns its node: it checks
// the escapes, that the contents are valid UTF-8 and hold no control
// character, and counts the bytes of its contents once unescaped.
func (p *jsonParser) str() (jnode, error) {
	p.i++ // the opening quote
	n := jnode{kind: jnRaw, a: p.i}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			n.n++
			p.i++
			continue
		}
		switch {
		case c == '"':
			n.b = p.i
			p.i++
			return n, nil
		case c == '\\':
			n.kind = jnEscaped
			r, size, err := p.escape()
			if err != nil {
				return n, err
			}
			n.n += utf8.RuneLen(r)
			p.i += size
		case c < 0x20:
			return n, p.fail("control character %#02x in a string (escape it)", c)
		default:
			r, size := utf8.DecodeRune(p.s[p.i:])
			if r == utf8.RuneError && size == 1 {
				return n, p.fail("a string that is not valid UTF-8")
			}
			n.n += size
			p.i += size
		}
	}
	return n, p.fail("the line ends inside a string")
}

// escape decodes the escape at p.i (a backslash) and returns the rune and
// the escape's length.
func (p *jsonParser) escape() (rune, int, error) {
	s := p.s[p.i:]
	if len(s) < 2 {
		return 0, 0, p.fail("the line ends inside an escape")
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		r, ok := hex4(s[2:])
		switch {
		case !ok:
			return 0, 0, p.fail(`\u not followed by four hex digits`)
		case r < 0xd800 || r > 0xdfff:
			return r, 6, nil
		case r < 0xdc00 && len(s) >= 8 && s[6] == '\\' && s[7] == 'u':
			if lo, ok := hex4(s[8:]); ok && lo >= 0xdc00 && lo <= 0xdfff {
				return 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00), 12, nil
			}
		}
		return 0, 0, p.fail(`\u%04x is half of a surrogate pair`, r)
	}
	return 0, 0, p.fail(`unknown escape \%c`, s[1])
}

// hex4 decodes four hex digits at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number parses a number as JSON writes them: -?(0|[1-9][0-9]*), then
// optionally .[0-9]+, then optionally [eE][+-]?[0-9]+.
func (p *jsonParser) number() error {
	n := jnode{kind: jnInt, a: p.i}
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		return p.i - start
	}
	if d := digits(); d == 0 || (d > 1 && p.s[p.i-d] == '0') {
		return p.fail("a number needs digits, without leading zeros")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		n.kind = jnFloat
		p.i++
		if digits() == 0 {
			return p.fail("a number needs digits after '.'")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		n.kind = jnFloat
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("a number needs digits in its exponent")
		}
	}
	n.b = p.i
	p.nodes = append(p.nodes, n)
	return nil
}
