package hurrah

import (
	"bytes"
	"context"
)

// Set stores v under key, replacing any value. v is encoded as CBOR in the
// calling goroutine; any type CBOR can encode works (structs, maps, slices,
// strings, numbers, time.Time, ...). A value CBOR cannot encode, such as a
// channel or a function, returns ErrEncode and stores nothing.
//
// When Set returns nil the write is acknowledged at the store's Durability.
func Set[T any](ctx context.Context, db *DB, key string, v T) error {
	if !db.journaled {
		b, err := encodeValue(db, key, v, nil)
		if err != nil {
			return err
		}
		return db.set(ctx, key, b, true)
	}
	// The journal record gets a copy of the encoding, so it is encoded
	// into a pooled buffer rather than a fresh one.
	buf := encBufs.Get().(*bytes.Buffer)
	defer putEncBuf(buf)
	b, err := encodeValue(db, key, v, buf)
	if err != nil {
		return err
	}
	return db.set(ctx, key, b, false)
}

// Get returns the value stored under key, decoded into a T. It returns
// ErrNotFound for a missing key and ErrDecode if the stored value does not
// decode into a T.
func Get[T any](ctx context.Context, db *DB, key string) (T, error) {
	b, err := db.get(ctx, key)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeValue[T](key, b)
}
