package hurrah

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/store"
)

// Batch is a list of sets and deletes that DB.Write applies as one atomic
// step: readers see all of it or none of it, it is journaled as one record,
// and a crash never leaves half of it applied. The zero value is an empty
// batch ready to use. A Batch is not safe for concurrent use; it may be
// reused after Write (call Reset) or written again.
type Batch struct {
	// Codec encodes the values BatchSet adds; nil means CBORCodec. Set it
	// to the codec of the store the batch is for: Write refuses, with
	// ErrInvalidBatch, a batch whose values another codec encoded.
	Codec Codec

	muts  []store.Mutation
	exps  []SetOption // the options of muts[i], if any was given (else shorter)
	codec string      // the Name of the codec BatchSet encoded with, or ""
}

// SetBytes adds the set of key to a copy of value. Later operations on the
// same key in the batch win. A TTL counts from Write: every TTL of the
// batch from one reading of the clock, so keys set with one TTL expire
// together.
func (b *Batch) SetBytes(key string, value []byte, opts ...SetOption) {
	b.add(store.Mutation{Op: store.OpSet, Key: key, Value: append([]byte(nil), value...)}, opts)
}

// Delete adds the deletion of key. Deleting a missing key is not an error.
func (b *Batch) Delete(key string) {
	b.add(store.Mutation{Op: store.OpDelete, Key: key}, nil)
}

// BatchSet adds the set of key to v, encoded now, in the calling
// goroutine, by b.Codec (CBOR if nil), as Set encodes it. A value the codec
// cannot encode returns ErrEncode and is not added; so does a value when
// the batch holds values another codec encoded (after b.Codec changed).
// A TTL counts from Write, as for SetBytes.
func BatchSet[T any](b *Batch, key string, v T, opts ...SetOption) error {
	c := b.Codec
	if c == nil {
		c = CBORCodec{}
	}
	if b.codec != "" && b.codec != c.Name() {
		return fmt.Errorf("%w: key %q: the batch holds %s values, not %s ones", ErrEncode, key, b.codec, c.Name())
	}
	data, err := encodeAs(c, key, v)
	if err != nil {
		return err
	}
	b.codec = c.Name()
	b.add(store.Mutation{Op: store.OpSet, Key: key, Value: data}, opts)
	return nil
}

func (b *Batch) add(m store.Mutation, opts []SetOption) {
	if len(opts) > 0 {
		b.exps = append(b.exps, make([]SetOption, len(b.muts)-len(b.exps))...)
		b.exps = append(b.exps, opts[len(opts)-1])
	}
	b.muts = append(b.muts, m)
}

// Len returns the number of operations in the batch.
func (b *Batch) Len() int { return len(b.muts) }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	clear(b.muts)
	b.muts, b.exps = b.muts[:0], b.exps[:0]
	b.codec = ""
}

// Write applies every operation of b, in order, as one atomic step, and
// returns once it is acknowledged at the store's Durability. Every key and
// value is checked first: if any is invalid (ErrInvalidKey, ErrTooLarge)
// nothing is applied. A batch whose journal record would pass the
// journal's limit (about 512 MiB) returns ErrTooLarge. An empty batch
// writes nothing; a nil b, or one whose BatchSet values another codec than
// the store's encoded, returns ErrInvalidBatch. The store keeps the
// batch's values; b may be reused.
func (db *DB) Write(ctx context.Context, b *Batch) error {
	// The command keeps its own slice: b may be reset and reused at once.
	return db.write(ctx, b, func(muts []store.Mutation) []store.Mutation {
		return append([]store.Mutation(nil), muts...)
	})
}

// write is Write, and WriteReusing (batch_reuse.go): own returns the
// operations the command is to carry, a copy of b's or b's own.
func (db *DB) write(ctx context.Context, b *Batch, own func([]store.Mutation) []store.Mutation) error {
	if err := db.check(); err != nil {
		return err
	}
	if b == nil {
		return ErrInvalidBatch
	}
	if b.codec != "" && b.codec != db.opts.Codec.Name() {
		return fmt.Errorf("%w: its values are %s, the store's codec is %s: set Batch.Codec",
			ErrInvalidBatch, b.codec, db.opts.Codec.Name())
	}
	for _, m := range b.muts {
		var err error
		if m.Op == store.OpSet {
			err = db.checkWrite(m.Key, len(m.Value))
		} else {
			err = db.checkRead(m.Key)
		}
		if err != nil {
			return err
		}
	}
	if len(b.muts) == 0 {
		return nil
	}
	c := store.Command{Op: store.OpBatch, Batch: own(b.muts)}
	if err := db.batchDeadlines(c.Batch, b.exps); err != nil {
		return err
	}
	_, err := db.send(ctx, c)
	return err
}

// SetBytesIfAbsent stores a copy of value under key only if key is absent,
// and reports whether it did. The check and the set are one atomic step. A
// set is journaled and acknowledged like SetBytes; if the key was present
// nothing is written and it returns false with a nil error: at Synced once
// the state it read is durable (it joins the next group commit), at the
// other levels at once, when a crash may still undo the write it saw. With
// any other error the outcome is unknown, as for any write that returns an
// error.
func (db *DB) SetBytesIfAbsent(ctx context.Context, key string, value []byte) (bool, error) {
	if err := db.checkWrite(key, len(value)); err != nil {
		return false, err
	}
	return db.setAbsent(ctx, key, append([]byte(nil), value...))
}

// SetIfAbsent stores v under key only if key is absent, and reports whether
// it did. v is encoded as Set encodes it; otherwise it behaves as
// SetBytesIfAbsent.
func SetIfAbsent[T any](ctx context.Context, db *DB, key string, v T) (bool, error) {
	b, err := encodeValue(db, key, v, nil)
	if err != nil {
		return false, err
	}
	return db.setAbsent(ctx, key, b)
}

// setAbsent journals the set that a successful set-if-absent amounts to, so
// replay never meets the conditional form.
func (db *DB) setAbsent(ctx context.Context, key string, value []byte) (bool, error) {
	r, err := db.apply(ctx,
		store.Command{Op: store.OpSetAbsent, Key: key, Value: value},
		store.Command{Op: store.OpSet, Key: key, Value: value})
	if err != nil {
		return false, err
	}
	return r.Found, nil
}
