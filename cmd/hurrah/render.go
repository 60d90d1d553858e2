package main

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/cborhead"
)

// How the command line shows keys and values: by the rule of the library's
// export (hurrah.ValueJSON), so that `dump -json` prints the lines `export`
// writes. A value written with Set is CBOR; one written with SetBytes is
// whatever bytes the program gave, and the store does not say which. So a
// value is shown as JSON when its bytes are CBOR that JSON holds exactly
// (integers, finite float64s, text, arrays, maps with text keys in their
// stored order, booleans, null), and as base64 otherwise (raw bytes, the
// empty value, byte strings, tags such as a time.Time, float32s, maps with
// other keys, NaN). Text output marks base64 with a "base64:" prefix (a
// JSON string always starts with a quote, so the two cannot be confused);
// JSON output puts it in "value_base64" instead of "value". A key is shown
// as it is when it is printable UTF-8, Go-quoted otherwise; in JSON it is
// "key", or "key_base64" when it is not valid UTF-8.

// valueText shows value b for a person: JSON, or "base64:..." (see the
// top of this file).
func valueText(b []byte) string {
	if js, ok := hurrah.ValueJSON(b); ok {
		return string(js)
	}
	return "base64:" + base64.StdEncoding.EncodeToString(b)
}

// keyText shows key k for a person: as it is if it is printable UTF-8
// (and does not start with a quote or a space), Go-quoted otherwise.
func keyText(k string) string {
	plain := utf8.ValidString(k) && !strings.HasPrefix(k, `"`) && strings.TrimSpace(k) == k &&
		strings.IndexFunc(k, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	if plain {
		return k
	}
	return strconv.Quote(k)
}

// cborText is CBOR's major type of text strings.
const cborText = 3

// appendEntry appends the JSON line that -json prints for key k, and for
// value b if withValue, "\n" included: the line hurrah.DB.Export writes
// for them, field for field and byte for byte.
func appendEntry(dst []byte, k string, b []byte, withValue bool) []byte {
	if js, ok := keyJSON(k); ok {
		dst = append(append(dst, `{"key":`...), js...)
	} else {
		dst = append(dst, `{"key_base64":"`...)
		dst = append(base64.StdEncoding.AppendEncode(dst, []byte(k)), '"')
	}
	if withValue {
		if js, ok := hurrah.ValueJSON(b); ok {
			dst = append(append(dst, `,"value":`...), js...)
		} else {
			dst = append(dst, `,"value_base64":"`...)
			dst = append(base64.StdEncoding.AppendEncode(dst, b), '"')
		}
	}
	return append(dst, "}\n"...)
}

// keyJSON returns key k as the JSON string Export writes for it, or false
// if k is not valid UTF-8 (Export writes it in base64). Export writes a
// key as it writes a text value, so keyJSON asks hurrah.ValueJSON to
// render k as a CBOR text string, rather than repeat its escaping rules.
func keyJSON(k string) ([]byte, bool) {
	if !utf8.ValidString(k) {
		return nil, false
	}
	return hurrah.ValueJSON(append(cborhead.Append(nil, cborText, uint64(len(k))), k...))
}
