package fuzzkit

import (
	"math"
	"reflect"
	"testing"
)

// TestMarshalRoundTrip checks that every argument type the targets use
// comes back from a corpus file as it went in, and that what the go
// command would not read is refused.
func TestMarshalRoundTrip(t *testing.T) {
	args := []any{[]byte("\x00\xff\"quoted\"\n"), []byte{}, byte(0), byte('\''), byte(0xff),
		uint32(0), uint32(math.MaxUint32), uint64(math.MaxUint64)}
	got, err := Unmarshal(Marshal(args...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, args) {
		t.Fatalf("round trip gives %#v, want %#v", got, args)
	}
	for _, bad := range []string{
		"",
		"go test fuzz v2\n",
		"go test fuzz v1\nint(3)\n",
		"go test fuzz v1\nbyte(256)\n",
		"go test fuzz v1\nuint32(4294967296)\n",
		"go test fuzz v1\n[]byte(\"unterminated)\n",
		"go test fuzz v1\nbyte\n",
	} {
		if _, err := Unmarshal([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
