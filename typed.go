package hurrah

import (
	"bytes"
	"context"
)

// Set stores v under key, replacing any value. v is encoded in the calling
// goroutine by the store's codec (Options.Codec), CBOR by default; any type
// the codec round-trips works (structs, maps, slices, strings, numbers,
// time.Time, ...: Codec has the table). A value the codec cannot encode,
// such as a channel, a function or (for the built-in codecs) a protobuf
// message, returns ErrEncode and stores nothing.
//
// With TTL or Deadline the key expires (see SetOption); without, it keeps
// no deadline it had. When Set returns nil the write is acknowledged at the
// store's Durability.
func Set[T any](ctx context.Context, db *DB, key string, v T, opts ...SetOption) error {
	at, err := deadline(db.clock, opts)
	if err != nil {
		return err
	}
	if !db.journaled {
		b, err := encodeValue(db, key, v, nil)
		if err != nil {
			return err
		}
		return db.set(ctx, key, b, true, at)
	}
	// The journal record gets a copy of the encoding, so it is encoded
	// into a pooled buffer rather than a fresh one.
	buf := encBufs.Get().(*bytes.Buffer)
	defer putEncBuf(buf)
	b, err := encodeValue(db, key, v, buf)
	if err != nil {
		return err
	}
	return db.set(ctx, key, b, false, at)
}

// Get returns the value stored under key, decoded into a T by the store's
// codec. It returns ErrNotFound for a missing key, and ErrDecode (a
// *DecodeError naming the key, the codec and T) if the stored value does
// not decode into a T, such as bytes stored with SetBytes: read those with
// GetBytes.
func Get[T any](ctx context.Context, db *DB, key string) (T, error) {
	b, err := db.get(ctx, key)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeValue[T](db.opts.Codec, key, b)
}
