package hurrah

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzJSONValue checks the promise the export format rests on: a value
// given a JSON rendering is valid JSON that import reads back into exactly
// the same bytes. Anything else must be refused, never panic.
func FuzzJSONValue(f *testing.F) {
	for _, h := range []string{"", "00", "20", "3bffffffffffffffff", "fb3ff8000000000000",
		"f93e00", "6161", "8201a16161f6", "a2616101616102", "c074", "9f01ff", "a10102", "7f6161ff"} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		j, ok := appendJSONValue(nil, b)
		if !ok {
			return
		}
		require.True(t, json.Valid(j), "%s is not valid JSON", j)
		back, err := parseJSONValue(string(j))
		require.NoError(t, err, "%s", j)
		require.Equal(t, b, back, "%s", j)
	})
}

// FuzzImportLine feeds Import's parser arbitrary lines: it must never
// panic, accept only valid JSON, and what it accepts must export to a line
// that reads back to the same key and value.
func FuzzImportLine(f *testing.F) {
	for _, s := range []string{
		`{"key":"k","value":1}`,
		`{"key":"k","value_base64":"AAE="}`,
		`{"key_base64":"/w==","value":{"a":[1,2.5,"x",null,true,false]}}`,
		` { "value" : "v" , "key" : "\u00e9\ud83d\ude00" } ` + "\r",
		`{"key":"k","value":{"a":1,"a":2}}`,
		`{"key":"k","value":-18446744073709551616}`,
		`{"key":"k","value":"\ud800"}`,
		`{"key":"k"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var p jsonParser
		key, value, err := p.line(line)
		if err != nil {
			return
		}
		require.True(t, json.Valid(line), "accepted invalid JSON: %q", line)
		k, v := string(key), string(value)
		out, _ := appendLine(nil, k, []byte(v), true)
		require.True(t, json.Valid(out[:len(out)-1]), "wrote invalid JSON: %q", out)
		var q jsonParser
		key2, value2, err := q.line(out[:len(out)-1])
		require.NoError(t, err, "%q", out)
		require.Equal(t, k, string(key2))
		require.Equal(t, v, string(value2))
	})
}
