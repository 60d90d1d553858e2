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
		UTF8:             cbor.UTF8DecodeInvalid,
	})
)

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

// encode returns v's CBOR encoding, as Set stores it, or an error wrapping
// ErrEncode.
func encode[T any](v T) ([]byte, error) {
	b, err := valueEnc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %T: %w", ErrEncode, v, err)
	}
	return b, nil
}

// encodeValue makes the checks of a typed write of v under key: the key
// (the store open, not empty, not too long), then v's encoding, then the
// encoding's size. It encodes into buf if buf is not nil (the bytes
// returned are then buf's), else into a new slice.
func encodeValue[T any](db *DB, key string, v T, buf *bytes.Buffer) ([]byte, error) {
	if err := db.checkWrite(key, 0); err != nil {
		return nil, err
	}
	var b []byte
	var err error
	if buf != nil {
		err = valueEnc.MarshalToBuffer(v, buf)
		b = buf.Bytes()
	} else {
		b, err = valueEnc.Marshal(v)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %T: %w", ErrEncode, v, err)
	}
	if err := db.checkWrite(key, len(b)); err != nil {
		return nil, err
	}
	return b, nil
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

// decodeValue decodes b, the value stored under key, into a T.
func decodeValue[T any](key string, b []byte) (T, error) {
	var v T
	if err := valueDec.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: key %q into %T: %w", ErrDecode, key, v, err)
	}
	return v, nil
}

// Decode decodes b, a value as Set stores it (CBOR), into a T. It is for
// values read as bytes, for instance while iterating over a View. It
// returns ErrDecode if b does not decode into a T.
func Decode[T any](b []byte) (T, error) {
	var v T
	if err := valueDec.Unmarshal(b, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: into %T: %w", ErrDecode, v, err)
	}
	return v, nil
}
