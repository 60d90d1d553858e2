package hurrah

import (
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// parseJSONValue parses one JSON value, as the "value" field of a line,
// into CBOR.
func parseJSONValue(s string) ([]byte, error) {
	var p jsonParser
	_, v, err := p.line([]byte(`{"key":"k","value":` + s + `}`))
	return v, err
}

// TestJSONValueRendering pins the JSON that values get, and checks that
// each reads back into the same bytes.
func TestJSONValueRendering(t *testing.T) {
	type obj struct {
		Name string
		Age  int
		Tags []string
		M    map[string]any
	}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{0, `0`},
		{23, `23`},
		{24, `24`},
		{-1, `-1`},
		{-24, `-24`},
		{-25, `-25`},
		{uint64(math.MaxUint64), `18446744073709551615`},
		{int64(math.MinInt64), `-9223372036854775808`},
		{1.5, `1.5`},
		{1.0, `1.0`},
		{-0.0 * -1, `0.0`},
		{math.Copysign(0, -1), `-0.0`},
		{1e20, `100000000000000000000.0`},
		{1e21, `1e+21`},
		{1e-7, `1e-07`},
		{0.000001, `0.000001`},
		{math.MaxFloat64, `1.7976931348623157e+308`},
		{math.SmallestNonzeroFloat64, `5e-324`},
		{"", `""`},
		{"héllo \"quoted\" \\ \n\r\t\b\f \x01\x1f\x7f <&> \u2028 😀", `"héllo \"quoted\" \\ \n\r\t\b\f \u0001\u001f` + "\x7f <&> \u2028 😀\""},
		{true, `true`},
		{false, `false`},
		{nil, `null`},
		{[]int{}, `[]`},
		{[]any{1, "a", []any{nil, true}}, `[1,"a",[null,true]]`},
		{map[string]int{}, `{}`},
		{map[string]int{"b": 2, "a": 1, "aa": 3}, `{"a":1,"b":2,"aa":3}`}, // CBOR's order: shorter first
		{obj{Name: "Ada", Age: 36, Tags: []string{"x"}, M: map[string]any{"k": []any{}}}, `{"M":{"k":[]},"Age":36,"Name":"Ada","Tags":["x"]}`},
	} {
		b, err := encode(tc.v)
		require.NoError(t, err)
		got, ok := appendJSONValue(nil, b)
		require.True(t, ok, "%#v (%x) has a JSON rendering", tc.v, b)
		require.Equal(t, tc.want, string(got), "%#v", tc.v)
		back, err := parseJSONValue(string(got))
		require.NoError(t, err, "%s", got)
		require.Equal(t, b, back, "%s reads back into the same CBOR", got)
	}
}

// TestJSONValueBase64 lists CBOR that JSON cannot hold exactly: each must
// be refused a JSON rendering (and so exported in base64).
func TestJSONValueBase64(t *testing.T) {
	for name, h := range map[string]string{
		"empty":                 "",
		"byte string":           "43010203",
		"tag (a time.Time)":     "c074323032362d31322d30325430303a30303a30305a",
		"bignum tag":            "c249010000000000000000",
		"float16":               "f93e00",
		"float32":               "fa3fc00000",
		"NaN":                   "fb7ff8000000000000",
		"+Inf":                  "fb7ff0000000000000",
		"-Inf":                  "fbfff0000000000000",
		"undefined":             "f7",
		"simple 16":             "f0",
		"simple 255":            "f8ff",
		"indefinite text":       "7f616161ff",
		"indefinite array":      "9f01ff",
		"indefinite map":        "bf616101ff",
		"break alone":           "ff",
		"non-shortest uint":     "1817",
		"non-shortest uint 64":  "1b0000000000000001",
		"non-shortest neg":      "3800",
		"non-shortest text len": "780161",
		"non-shortest array":    "980101",
		"integer map key":       "a10102",
		"bytes map key":         "a1410102",
		"duplicate map key":     "a2616101616102",
		"invalid UTF-8 text":    "61ff",
		"truncated text":        "6261",
		"truncated array":       "830102",
		"truncated float64":     "fb3ff0",
		"trailing bytes":        "0101",
		"array of bytes":        "8140",
		"reserved ai 28":        "1c",
		"raw bytes":             "68656c6c6f20776f726c64",
		"nested tag":            "81c100",
	} {
		b, err := hex.DecodeString(h)
		require.NoError(t, err)
		_, ok := appendJSONValue(nil, b)
		require.False(t, ok, "%s (%s) must go out as base64", name, h)
	}
	// A time.Time as Set stores it carries tag 0: base64.
	b, err := encode(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	_, ok := appendJSONValue(nil, b)
	require.False(t, ok)
}

// TestJSONValueDepth checks the nesting bound on both sides: maxJSONDepth
// arrays render and parse, one more does neither.
func TestJSONValueDepth(t *testing.T) {
	for _, depth := range []int{maxJSONDepth, maxJSONDepth + 1} {
		b := []byte(strings.Repeat("\x81", depth-1) + "\x80")
		j, ok := appendJSONValue(nil, b)
		text := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		_, err := parseJSONValue(text)
		if depth <= maxJSONDepth {
			require.True(t, ok)
			require.Equal(t, text, string(j))
			require.NoError(t, err)
		} else {
			require.False(t, ok)
			require.Error(t, err)
		}
	}
}

// TestJSONNumbers checks how import reads numbers: integers to CBOR
// integers up to CBOR's range, anything with a fraction or an exponent to a
// float64.
func TestJSONNumbers(t *testing.T) {
	for _, tc := range []struct {
		in, cbor string // cbor "" means refused
	}{
		{"0", "00"},
		{"-0", "00"},
		{"23", "17"},
		{"24", "1818"},
		{"-1", "20"},
		{"18446744073709551615", "1bffffffffffffffff"},
		{"18446744073709551616", ""},
		{"-18446744073709551616", "3bffffffffffffffff"},
		{"-18446744073709551617", ""},
		{"1e2", "fb4059000000000000"},
		{"1E+2", "fb4059000000000000"},
		{"1.0", "fb3ff0000000000000"},
		{"-0.0", "fb8000000000000000"},
		{"1e400", ""},
		{"1e-400", "fb0000000000000000"},
		{"01", ""},
		{"1.", ""},
		{".5", ""},
		{"1e", ""},
		{"+1", ""},
		{"--1", ""},
		{"0x10", ""},
		{"NaN", ""},
		{"Infinity", ""},
	} {
		got, err := parseJSONValue(tc.in)
		if tc.cbor == "" {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.cbor, hex.EncodeToString(got), tc.in)
	}
}
