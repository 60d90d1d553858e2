package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// How the command line shows keys and values. A value written with Set is
// CBOR; one written with SetBytes is whatever bytes the program gave, and
// the store does not say which. So a value is shown as JSON when its bytes
// are one well-formed CBOR item that JSON can show (maps with text keys,
// arrays, text, numbers, booleans, null; times as RFC 3339 text), and as
// base64 otherwise (raw bytes, CBOR byte strings, tags, maps with other
// keys, NaN). Text output marks base64 with a "base64:" prefix (a JSON
// string always starts with a quote, so the two cannot be confused); JSON
// output puts it in "value_base64" instead of "value". A key is shown as
// it is when it is printable UTF-8, Go-quoted otherwise; in JSON it is
// "key", or "key_base64" when it is not valid UTF-8.
//
// TODO(export): once the library's export (issue 12) has its own rendering
// of values, use it here, so that dump -json and export agree.

// showDec decodes values for showing: maps into map[string]any, so that a
// map with other keys fails to decode and is shown as base64; text must
// be valid UTF-8, as JSON's must.
var showDec = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DefaultMapType:   reflect.TypeFor[map[string]any](),
		MaxArrayElements: 1<<31 - 1,
		MaxMapPairs:      1<<31 - 1,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}()

// valueJSON returns the JSON that shows value b, or false if JSON cannot
// show it.
func valueJSON(b []byte) (json.RawMessage, bool) {
	var v any
	if err := showDec.Unmarshal(b, &v); err != nil || !jsonable(v) {
		return nil, false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, false
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), true
}

// jsonable reports whether JSON shows v, decoded from CBOR, faithfully.
func jsonable(v any) bool {
	switch v := v.(type) {
	case nil, bool, string, int64, uint64, *big.Int, big.Int, time.Time:
		return true
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case []any:
		for _, e := range v {
			if !jsonable(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !jsonable(e) {
				return false
			}
		}
		return true
	}
	return false // byte strings, tags, simple values
}

// valueText shows value b for a person: JSON, or "base64:..." (see the
// top of this file).
func valueText(b []byte) string {
	if js, ok := valueJSON(b); ok {
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

// entryJSON is one key, and maybe its value, as -json prints them.
type entryJSON struct {
	Key         *string         `json:"key,omitempty"`
	KeyBase64   *string         `json:"key_base64,omitempty"`
	Value       json.RawMessage `json:"value,omitempty"`
	ValueBase64 *string         `json:"value_base64,omitempty"`
}

// newEntry returns k, and value b if withValue, as -json prints them.
func newEntry(k string, b []byte, withValue bool) entryJSON {
	var e entryJSON
	if utf8.ValidString(k) {
		e.Key = &k
	} else {
		e.KeyBase64 = base64Of([]byte(k))
	}
	if !withValue {
		return e
	}
	if js, ok := valueJSON(b); ok {
		e.Value = js
	} else {
		e.ValueBase64 = base64Of(b)
	}
	return e
}

func base64Of(b []byte) *string {
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}
