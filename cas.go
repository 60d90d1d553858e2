package hurrah

import (
	"context"

	"github.com/hurrahdb/hurrah/store"
)

// CompareAndSwapBytes stores new under key only if key is present and holds
// exactly the bytes old, and reports whether it did. The comparison and the
// swap are one atomic step of the owner goroutine, so of several concurrent
// swaps from the same old value at most one succeeds. A missing key never
// matches, not even an empty or nil old. The store keeps its own copies of
// old and new.
//
// A swap is journaled as the set it amounts to and acknowledged at the
// store's Durability; a failed comparison writes nothing and returns false
// with a nil error: at Synced once the state it compared against is
// durable (it joins the next group commit), at the other levels at once,
// when it may have compared against a write that is applied but not yet
// durable (see Sync). Like SetBytes, a bad key or a new value over
// MaxValueSize returns an error and changes nothing; old is only compared,
// so it has no size limit. With any other error (ErrClosed, ErrReadOnly,
// the context's) swapped is false but the outcome is unknown, as for any
// write that returns an error: the swap may still have happened.
func (db *DB) CompareAndSwapBytes(ctx context.Context, key string, old, new []byte) (swapped bool, err error) {
	if err := db.checkWrite(key, len(new)); err != nil {
		return false, err
	}
	return db.cas(ctx, key, append([]byte(nil), old...), append([]byte(nil), new...))
}

// CompareAndSwap stores new under key only if the value stored there is old,
// and reports whether it did. Both values are encoded by the store's codec
// (CBOR by default) in the calling goroutine, as Set encodes them, and the
// stored bytes are compared with the encoding of old byte for byte: the
// swap happens when old encodes exactly as the stored value did, which
// holds for values stored with Set by this version (map keys are encoded
// in a fixed order; maps stored by earlier versions may not match). Values that compare equal in Go but encode
// apart, such as 0.0 and -0.0 or two NaNs with different bits, do not
// match each other. A value stored with SetBytes matches only if its bytes
// are the codec's encoding of old.
//
// A missing key never matches. A value the codec cannot encode returns ErrEncode,
// a bad key or an encoded new over MaxValueSize returns the error Set
// returns, and in each case nothing changes. Otherwise it behaves as
// CompareAndSwapBytes: a swap is journaled as a set, and a failed
// comparison writes nothing and returns false with a nil error.
func CompareAndSwap[T any](ctx context.Context, db *DB, key string, old, new T) (bool, error) {
	if err := db.checkWrite(key, 0); err != nil {
		return false, err
	}
	ob, err := encodeAs(db.opts.Codec, key, old)
	if err != nil {
		return false, err
	}
	nb, err := encodeValue(db, key, new, nil)
	if err != nil {
		return false, err
	}
	return db.cas(ctx, key, ob, nb)
}

// cas sends the compare-and-swap of key from old to new, both owned by the
// store from here on. The journal gets the encoding of the set that a swap
// amounts to, so replay never meets a compare-and-swap; the owner journals
// it only when the swap happened.
func (db *DB) cas(ctx context.Context, key string, old, new []byte) (bool, error) {
	r, err := db.apply(ctx,
		store.Command{Op: store.OpCAS, Key: key, Value: new, Old: old},
		store.Command{Op: store.OpSet, Key: key, Value: new})
	if err != nil {
		return false, err
	}
	return r.Found, nil
}
