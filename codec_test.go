package hurrah

import (
	"errors"
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// outcome is what a Set then a Get of one value did.
type outcome int

const (
	roundTrips   outcome = iota // Get returned a value equal to the one stored
	changed                     // Get returned a different value
	refusedAtSet                // Set failed with ErrEncode
	failsAtGet                  // Get failed with ErrDecode
)

func (o outcome) String() string {
	return [...]string{"round-trips", "reads back changed", "ErrEncode at Set", "ErrDecode at Get"}[o]
}

// trip stores v with Set, reads it back with Get and reports the outcome;
// eq says whether two T are equal (nil: reflect.DeepEqual).
func trip[T any](t *testing.T, db *DB, v T, eq func(a, b T) bool) outcome {
	t.Helper()
	ctx := t.Context()
	if err := Set(ctx, db, "k", v); err != nil {
		require.ErrorIs(t, err, ErrEncode)
		_, gerr := db.GetBytes(ctx, "k")
		require.ErrorIs(t, gerr, ErrNotFound, "a refused Set stores nothing")
		return refusedAtSet
	}
	got, err := Get[T](ctx, db, "k")
	if err != nil {
		require.ErrorIs(t, err, ErrDecode)
		var de *DecodeError
		require.ErrorAs(t, err, &de)
		require.Equal(t, db.opts.Codec.Name(), de.Codec)
		return failsAtGet
	}
	if eq == nil {
		eq = func(a, b T) bool { return reflect.DeepEqual(a, b) }
	}
	if eq(v, got) {
		return roundTrips
	}
	return changed
}

// Types of the round-trip table.
type (
	ints struct {
		I   int
		I8  int8
		I16 int16
		I32 int32
		I64 int64
		U   uint
		U8  uint8
		U16 uint16
		U32 uint32
		U64 uint64
	}
	withHidden struct {
		Shown  string
		hidden string
	}
	withErr    struct{ E error }
	mapKey     struct{ A, B int }
	tripStruct struct {
		Name string
		Tags []string
		At   *int
		Sub  struct{ X float64 }
	}
	// nest is a slice of itself, to nest values as deep as a test likes.
	nest []nest
	// fakeProto has the marker method every generated protobuf message has.
	fakeProto struct{ X int }
)

func (*fakeProto) ProtoMessage() {}

// sameTime says whether two times are the same instant with the same offset.
func sameTime(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo
}

// nestedDeep returns a nest depth arrays deep.
func nestedDeep(depth int) nest {
	v := nest{}
	for range depth - 1 {
		v = nest{v}
	}
	return v
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// codecTable is the table in Codec's doc comment, row by row (some rows
// take several lines): what each built-in codec does with each kind of
// value. Keep the two in step.
var codecTable = []struct {
	name       string
	cbor, json outcome
	run        func(t *testing.T, db *DB) outcome
}{
	{"bool", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, true, nil) }},
	{"string", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, "héllo, 世界", nil) }},
	{"string with invalid UTF-8", roundTrips, changed, func(t *testing.T, db *DB) outcome { return trip(t, db, "a\xffb", nil) }},
	{"ints at their limits", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, ints{math.MinInt, math.MinInt8, math.MinInt16, math.MinInt32, math.MinInt64,
			math.MaxUint, math.MaxUint8, math.MaxUint16, math.MaxUint32, math.MaxUint64}, nil)
	}},
	{"ints at the other limits", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, ints{I: math.MaxInt, I8: math.MaxInt8, I64: math.MaxInt64, U64: 1<<53 + 1}, nil)
	}},
	{"uintptr", refusedAtSet, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, uintptr(1<<40), nil) }},
	{"float32", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, float32(1.1), nil) }},
	{"float64", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, 0.1, sameBits) }},
	{"float64 -0", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, math.Copysign(0, -1), sameBits) }},
	{"float64 smallest", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, math.SmallestNonzeroFloat64, sameBits)
	}},
	{"NaN", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome {
		return trip(t, db, math.NaN(), func(a, b float64) bool { return math.IsNaN(b) })
	}},
	{"+Inf", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, math.Inf(1), nil) }},
	{"-Inf", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, math.Inf(-1), nil) }},
	{"[]byte", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, []byte{0, 1, 0xff}, nil) }},
	{"[N]T", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, [3]int{1, -2, 3}, nil) }},
	{"[]T", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, []string{"a", "", "c"}, nil) }},
	{"empty []T", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, []int{}, nil) }},
	{"map[string]T", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, map[string]int{"b": 2, "a": 1}, nil)
	}},
	{"nil slice", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, []int(nil), nil) }},
	{"nil []byte", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, []byte(nil), nil) }},
	{"nil map", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, map[string]int(nil), nil) }},
	{"nil pointer", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, (*int)(nil), nil) }},
	{"map[int]T", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, map[int]string{-1: "a", 2: "b"}, nil)
	}},
	{"map with struct keys", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome {
		return trip(t, db, map[mapKey]string{{1, 2}: "a", {3, 4}: "b"}, nil)
	}},
	{"struct", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		n := 7
		v := tripStruct{Name: "n", Tags: []string{"x"}, At: &n}
		v.Sub.X = 2.5
		return trip(t, db, v, nil)
	}},
	{"unexported field", changed, changed, func(t *testing.T, db *DB) outcome {
		return trip(t, db, withHidden{"shown", "hidden"}, nil)
	}},
	{"pointer", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { n := 42; return trip(t, db, &n, nil) }},
	{"time.Time with an offset", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, time.Date(2026, 12, 2, 20, 45, 1, 123456789, time.FixedZone("CET", 3600)), sameTime)
	}},
	{"time.Time UTC", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC), sameTime)
	}},
	{"time.Now (monotonic reading)", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, time.Now(), sameTime)
	}},
	{"time.Duration", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, -90*time.Minute, nil) }},
	{"any holding an int", changed, changed, func(t *testing.T, db *DB) outcome { return trip[any](t, db, 5, nil) }},
	{"any holding a map", changed, changed, func(t *testing.T, db *DB) outcome {
		return trip[any](t, db, map[string]int{"a": 1}, nil)
	}},
	{"non-empty interface, nil", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, withErr{}, nil) }},
	{"non-empty interface, non-nil", failsAtGet, failsAtGet, func(t *testing.T, db *DB) outcome {
		return trip(t, db, withErr{errors.New("x")}, nil)
	}},
	{"chan", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, make(chan int), nil) }},
	{"func", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, func() {}, nil) }},
	{"complex64", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, complex64(1i), nil) }},
	{"complex128", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, 1+2i, nil) }},
	{"protobuf message", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome {
		return trip(t, db, &fakeProto{X: 1}, nil)
	}},
	{"nested 33 deep", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, nestedDeep(33), nil) }},
	{"nested 10000 deep", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome { return trip(t, db, nestedDeep(10000), nil) }},
	{"nested 10001 deep", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, nestedDeep(10001), nil) }},
	{"nested 65535 deep", roundTrips, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, nestedDeep(65535), nil) }},
	{"nested 65536 deep", refusedAtSet, refusedAtSet, func(t *testing.T, db *DB) outcome { return trip(t, db, nestedDeep(65536), nil) }},
	{"type with its own methods (netip.Addr)", roundTrips, roundTrips, func(t *testing.T, db *DB) outcome {
		return trip(t, db, netip.MustParseAddr("2001:db8::1"), nil)
	}},
}

// TestCodecTable checks every row of the table in Codec's doc comment for
// both built-in codecs, on a memory-only store and on a journaled one
// (whose Set encodes into a pooled buffer).
func TestCodecTable(t *testing.T) {
	for _, journaled := range []bool{false, true} {
		for _, c := range []Codec{CBORCodec{}, JSONCodec{}} {
			for _, row := range codecTable {
				name := c.Name() + "/" + row.name
				if journaled {
					name = "journaled/" + name
				}
				t.Run(name, func(t *testing.T) {
					dir := ""
					if journaled {
						dir = newDir(t)
					}
					db := openT(t, dir, &Options{Codec: c})
					want := row.cbor
					if c.Name() == "JSON" {
						want = row.json
					}
					require.Equal(t, want, row.run(t, db))
				})
			}
		}
	}
}
