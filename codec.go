package hurrah

import (
	"fmt"
	"reflect"
)

// Codec turns the values of the typed calls (Set, Get, SetIfAbsent,
// CompareAndSwap, TxSet, TxGet, ViewGet, BatchSet) into the bytes a store
// keeps, and back. A store has one codec, Options.Codec; the default is
// CBORCodec. The byte calls (SetBytes, GetBytes, ...) bypass it.
//
// The codec is not recorded in the store: open a store always with the
// codec its values were written with. A value written by one codec and read
// with another fails with ErrDecode (a *DecodeError naming the codec), or,
// when the bytes happen to parse, reads back as something else.
//
// Which Go types round-trip (Get returns a value equal to the one Set
// stored):
//
//	Go type                            CBORCodec            JSONCodec
//	bool, string (valid UTF-8)         yes                  yes
//	string holding invalid UTF-8       yes                  no: U+FFFD replaces bad bytes
//	int…int64, uint…uint64, any value  yes                  yes
//	uintptr                            no: ErrEncode        yes
//	float32, float64, finite           yes (and -0)         yes (and -0)
//	NaN, ±Inf                          yes                  no: ErrEncode
//	[]byte, [N]T, []T, map[string]T    yes                  yes ([]byte as base64)
//	nil slice / nil map / nil pointer  yes (stays nil)      yes (stays nil)
//	map[int]T                          yes                  yes (keys as strings)
//	map[K]T with K a struct            yes                  no: ErrEncode
//	structs (exported fields)          yes                  yes
//	unexported struct fields           no: dropped          no: dropped
//	pointers (*T, non-nil)             yes (a new *T)       yes (a new *T)
//	time.Time                          instant and offset   instant and offset
//	time.Duration                      yes                  yes
//	any (interface{}) holding T        no: generic types    no: generic types
//	non-empty interface, non-nil       no: ErrDecode        no: ErrDecode
//	chan, func, complex64/128          no: ErrEncode        no: ErrEncode
//	protobuf messages (generated)      no: ErrEncode        no: ErrEncode
//	nested up to 10000 deep            yes                  yes
//	nested 10001 to 65535 deep         yes                  no: ErrEncode
//	nested deeper                      no: ErrEncode        no: ErrEncode
//
// Notes on the table. A time.Time reads back as the same instant with the
// same UTC offset; the zone's name and the monotonic clock reading are not
// kept, so compare times with Equal. Nesting counts arrays, slices, maps
// and structs inside one another (and, for CBOR, tags such as a
// time.Time's): a value nested deeper than the codec's decoder reads is
// refused at Set rather than stored for Get to fail on. Into an any, CBOR
// gives int64, uint64, float64, string, []byte, []any and map[any]any,
// JSON gives float64, string, bool, []any and map[string]any. A field whose type is a
// non-empty interface (an error, an io.Reader, a protobuf oneof) encodes
// while it holds a value, but nothing can decode into it. Types with their
// own methods (json.Marshaler, cbor.Marshaler, encoding.BinaryMarshaler for
// CBOR, encoding.TextMarshaler for JSON) round-trip if those methods do.
//
// Protobuf messages hold oneof fields (non-empty interfaces) and internal
// state that neither built-in codec can rebuild, so both refuse any value
// with a ProtoMessage method (every generated message) with ErrEncode
// rather than store what Get cannot read. Store them with the protobuf
// codec of the nested module github.com/hurrahdb/hurrah/protocodec, which
// keeps the plain store free of the protobuf dependency. A message nested
// inside a struct is not detected: it fails at Get if a oneof is set, and
// loses its unknown fields in any case.
//
// A codec must be safe for concurrent use. Marshal returns bytes the store
// keeps: the codec must not change them afterwards. Unmarshal gets a
// non-nil pointer to a zero value of the type asked for. Equal values
// should encode to equal bytes: CompareAndSwap compares encodings.
type Codec interface {
	// Marshal returns the encoding of v.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes data into the value v points to.
	Unmarshal(data []byte, v any) error
	// Name names the encoding in errors, such as "CBOR".
	Name() string
}

// Checks that the built-in codecs are Codecs.
var (
	_ Codec = CBORCodec{}
	_ Codec = JSONCodec{}
)

// CBORCodec is the default codec: CBOR (RFC 8949), as every version of
// hurrah has stored typed values. Map keys are written in a fixed order, so
// equal values encode to equal bytes. See Codec for the types it
// round-trips. It refuses protobuf messages with ErrEncode.
type CBORCodec struct{}

// Name returns "CBOR".
func (CBORCodec) Name() string { return "CBOR" }

// Marshal returns v's CBOR encoding, as Set stores it.
func (CBORCodec) Marshal(v any) ([]byte, error) {
	if err := refuseProto("CBOR", v); err != nil {
		return nil, err
	}
	b, err := valueEnc.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b, tooDeep(b)
}

// Unmarshal decodes CBOR data into the value v points to.
func (CBORCodec) Unmarshal(data []byte, v any) error {
	return valueDec.Unmarshal(data, v)
}

// wellFormed reports whether data is well-formed CBOR, whatever its type.
func (CBORCodec) wellFormed(data []byte) bool {
	return valueDec.Wellformed(data) == nil
}

// protoMessage is what every generated protobuf message has (the
// google.golang.org/protobuf API and the older one alike), named without
// depending on protobuf.
type protoMessage interface{ ProtoMessage() }

// refuseProto returns an error for a protobuf message, which the codec
// named codec cannot round-trip, and nil for any other value.
func refuseProto(codec string, v any) error {
	if _, ok := v.(protoMessage); ok {
		return fmt.Errorf("protobuf messages do not round-trip through %s; "+
			"use the codec of github.com/hurrahdb/hurrah/protocodec", codec)
	}
	return nil
}

// newDecodeError describes c's failure err to decode b, stored under key,
// into a T (zero is its zero value), with a hint when the cause is likely:
// bytes stored with SetBytes, or a protobuf message.
func newDecodeError[T any](c Codec, key string, b []byte, zero T, err error) *DecodeError {
	e := &DecodeError{Key: key, Codec: c.Name(), Type: reflect.TypeFor[T]().String(), Err: err}
	_, isBytes := any(zero).([]byte)
	if isBytes {
		e.Type = "[]byte"
	}
	wf, canTell := c.(interface{ wellFormed([]byte) bool })
	switch {
	case isProto(zero):
		e.hint = "protobuf messages need the codec of github.com/hurrahdb/hurrah/protocodec"
	case isBytes || (canTell && !wf.wellFormed(b)):
		e.hint = "if the value was stored with SetBytes, read it with GetBytes"
	}
	return e
}

// isProto reports whether a T, or a *T, is a protobuf message.
func isProto[T any](zero T) bool {
	if _, ok := any(zero).(protoMessage); ok {
		return true
	}
	_, ok := any(&zero).(protoMessage)
	return ok
}
