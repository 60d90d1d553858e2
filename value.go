package hurrah

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Values are CBOR. A time.Time is stored as an RFC 3339 string with
// nanoseconds and its UTC offset (tag 0), so it reads back as the same
// instant with the same offset (the zone's name is not kept: it reads back
// as a fixed zone, or UTC). Decoding accepts what Go can hold: arbitrarily long
// arrays and maps (the input is checked to be well formed before anything is
// allocated for it) and strings that are not valid UTF-8, since a Go string
// may hold any bytes. Map keys are written in a fixed order, so equal
// values always encode to the same bytes.
var (
	valueEnc cbor.UserBufferEncMode = mustEncMode(cbor.EncOptions{
		Time:    cbor.TimeRFC3339Nano,
		TimeTag: cbor.EncTagRequired,
		Sort:    cbor.SortCoreDeterministic, // equal maps encode alike, for CompareAndSwap
	})
	valueDec cbor.DecMode = mustDecMode(cbor.DecOptions{
		MaxArrayElements: 1<<31 - 1,
		MaxMapPairs:      1<<31 - 1,
		MaxNestedLevels:  maxCBORDepth,
		UTF8:             cbor.UTF8DecodeInvalid,
	})
)

// maxCBORDepth is how deeply nested arrays, maps and tags valueDec reads:
// the most the CBOR library allows (its default, 32, made Set store
// values that Get could not read). Set refuses deeper ones (tooDeep).
const maxCBORDepth = 65535

// tooDeep returns an error if b, as the CBOR encoder wrote it, nests
// deeper than maxCBORDepth, so that Set refuses what Get could not read.
// Each level takes a byte at least, so a shorter b is not looked at.
func tooDeep(b []byte) error {
	if len(b) < maxCBORDepth {
		return nil
	}
	if err := valueDec.Wellformed(b); err != nil {
		return fmt.Errorf("the encoding would not read back (at most %d nested arrays, maps and tags): %w", maxCBORDepth, err)
	}
	return nil
}

func mustEncMode(o cbor.EncOptions) cbor.UserBufferEncMode {
	m, err := o.UserBufferEncMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err) // constant options
	}
	return m
}

// encode returns v's CBOR encoding, as Set stores it by default, or an
// error wrapping ErrEncode. A System encodes its commands with it.
func encode[T any](v T) ([]byte, error) {
	return encodeAs(CBORCodec{}, "", v)
}

// encodeAs returns v's encoding by c, or an error wrapping ErrEncode that
// names key (if not empty) and the codec.
func encodeAs(c Codec, key string, v any) ([]byte, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, encodeError(c, key, v, err)
	}
	return b, nil
}

// encodeError wraps err, c's failure to encode v for key, in ErrEncode.
func encodeError(c Codec, key string, v any, err error) error {
	if key == "" {
		return fmt.Errorf("%w: %T as %s: %w", ErrEncode, v, c.Name(), err)
	}
	return fmt.Errorf("%w: key %q: %T as %s: %w", ErrEncode, key, v, c.Name(), err)
}

// encodeValue makes the checks of a typed write of v under key: the key
// (the store open, not empty, not too long), then v's encoding by the
// store's codec, then the encoding's size. The default codec encodes into
// buf if buf is not nil (the bytes returned are then buf's); otherwise the
// bytes are new.
func encodeValue[T any](db *DB, key string, v T, buf *bytes.Buffer) ([]byte, error) {
	if err := db.checkWrite(key, 0); err != nil {
		return nil, err
	}
	b, err := marshal(db.opts.Codec, v, buf)
	if err != nil {
		return nil, encodeError(db.opts.Codec, key, v, err)
	}
	if err := db.checkWrite(key, len(b)); err != nil {
		return nil, err
	}
	return b, nil
}

// marshal encodes v with c, into buf when c is the default codec and buf
// is not nil: the default path stays as fast as before codecs were
// pluggable.
func marshal(c Codec, v any, buf *bytes.Buffer) ([]byte, error) {
	if _, ok := c.(CBORCodec); !ok || buf == nil {
		return c.Marshal(v)
	}
	if err := refuseProto("CBOR", v); err != nil {
		return nil, err
	}
	if err := valueEnc.MarshalToBuffer(v, buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), tooDeep(buf.Bytes())
}

// encBufs holds buffers for encoding values that are copied on at once.
var encBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putEncBuf returns buf to encBufs, unless it grew large: one big value
// must not pin its buffer in the pool for good.
func putEncBuf(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	encBufs.Put(buf)
}

// decodeValue decodes b, the value stored under key (empty for Decode),
// into a T with c. It fails with a *DecodeError.
func decodeValue[T any](c Codec, key string, b []byte) (T, error) {
	var v T
	if err := c.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, newDecodeError(c, key, b, zero, err)
	}
	return v, nil
}

// Decode decodes b, a value as Set stores it with the default codec
// (CBOR), into a T. It is for values read as bytes, for instance while
// iterating over a View. It fails with a *DecodeError, which wraps
// ErrDecode, if b does not decode into a T. For a store with another codec,
// call the codec's Unmarshal.
func Decode[T any](b []byte) (T, error) {
	return decodeValue[T](CBORCodec{}, "", b)
}
