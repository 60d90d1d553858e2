package hurrah

import (
	"time"
)

// Deadlines in the export format: a line whose key has a deadline ends
// with an "expires" field, the deadline as an RFC 3339 time in UTC, to the
// nanosecond (time.RFC3339Nano):
//
//	{"key":"session:1","value":"ada","expires":"2030-01-02T03:04:05.5Z"}
//
// Import takes the field anywhere in the line, in any RFC 3339 form and
// offset, and sets the key with that deadline; a line whose deadline has
// passed already imports nothing.

// appendExpires adds the "expires" field of the deadline at (Unix ns; 0:
// none, which adds nothing) to line, an export line ending in "}\n".
func appendExpires(line []byte, at int64) []byte {
	if at == 0 {
		return line
	}
	line = append(line[:len(line)-2], `,"`+fieldExpires+`":"`...)
	line = time.Unix(0, at).UTC().AppendFormat(line, time.RFC3339Nano)
	return append(line, "\"}\n"...)
}

// expires parses the value of the "expires" field into p.at.
func (p *jsonParser) expires() error {
	s, err := p.decodedString(p.name[:0], false, "the deadline")
	if err != nil {
		return err
	}
	p.name = s
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return p.fail("the deadline %q is not an RFC 3339 time", s)
	}
	if t.Before(minDeadline) || t.After(maxDeadline) {
		return p.fail("the deadline %q is outside the years 1678 to 2262", s)
	}
	p.at = nonZero(t.UnixNano())
	return nil
}

// importDeadline returns the options of a set with the deadline at (0:
// none).
func importDeadline(at int64) []SetOption {
	if at == 0 {
		return nil
	}
	return []SetOption{Deadline(time.Unix(0, at))}
}
