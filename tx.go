package hurrah

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/store"
)

// Tx is a read-modify-write transaction, given to the function passed to
// DB.Update. It runs in the store's owner goroutine, so nothing else
// happens in the store while it runs: what it reads cannot change under it,
// and what it writes is applied, as one atomic step and one journal record,
// only when the function returns nil.
//
// A Tx is valid only while the function runs; its methods return
// ErrTxDone afterwards. It is not safe for use by other goroutines.
type Tx struct {
	db     *DB
	writes map[string]txWrite // the transaction's writes, by key
	muts   []store.Mutation   // the same, in order
	now    instant            // the clock reading every TTL counts from
	done   bool
}

// txWrite is a pending write: a value (with its deadline, or 0), or a
// deletion.
type txWrite struct {
	v   []byte
	at  int64
	del bool
}

// Update runs fn in the owner goroutine as a transaction: fn reads and
// writes through tx, and if it returns nil, its writes are applied as one
// atomic step, journaled as one record and acknowledged at the store's
// Durability before Update returns. If fn returns an error, or panics
// (ErrPanic, with a *PanicError), nothing is applied and Update returns
// that error at once, at every Durability: it may rest on a write that a
// crash then undoes. If fn returns nil having written nothing, Update
// returns at Synced once the state fn read is durable (joining the next
// group commit), and at once at the other levels.
//
// fn holds up every other request while it runs, so it must be quick, and
// it must not call any method of the DB: that call would wait for the owner
// goroutine, which is waiting for fn. Do slow work (encoding big values,
// I/O) before Update. If ctx ends once fn has started, Update still waits
// for fn (and for the acknowledgement of what it wrote), so that fn never
// runs after Update has returned; it then returns the context's error, and
// the transaction may have committed, as for any write that returns an
// error.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := db.check(); err != nil {
		return err
	}
	return db.err(db.eng.Exec(ctx, func() ([]byte, error) {
		tx := &Tx{db: db, now: instant{clock: db.clock}}
		err := catch(func() error { return fn(tx) })
		tx.done = true
		if err != nil || len(tx.muts) == 0 {
			return nil, err
		}
		c := store.Command{Op: store.OpBatch, Batch: tx.muts}
		var data []byte
		if db.journaled {
			if data, err = store.EncodeCommand(c); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrEncode, err)
			}
			if err := checkRecord(data); err != nil {
				return nil, err
			}
		}
		if _, _, err := db.kv.Apply(c); err != nil {
			return nil, err
		}
		return data, nil
	}, db.level))
}

// GetBytes returns the bytes stored under key, as the transaction sees
// them (its own writes included), or ErrNotFound. The bytes must not be
// changed.
func (tx *Tx) GetBytes(key string) ([]byte, error) {
	if err := tx.check(key); err != nil {
		return nil, err
	}
	v, ok := tx.get(key)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return v, nil
}

// Has reports whether key exists, as the transaction sees it.
func (tx *Tx) Has(key string) (bool, error) {
	if err := tx.check(key); err != nil {
		return false, err
	}
	_, ok := tx.get(key)
	return ok, nil
}

// SetBytes sets key to a copy of value in the transaction. With TTL or
// Deadline the key expires; without, it keeps no deadline it had. Every
// TTL of a transaction counts from one instant, the first set with a TTL,
// so keys set with one TTL expire together.
func (tx *Tx) SetBytes(key string, value []byte, opts ...SetOption) error {
	if tx.done {
		return ErrTxDone
	}
	if err := tx.db.checkWrite(key, len(value)); err != nil {
		return err
	}
	at, err := deadline(tx.now.read, opts)
	if err != nil {
		return err
	}
	tx.put(key, append([]byte(nil), value...), at)
	return nil
}

// Delete deletes key in the transaction and reports whether it existed.
func (tx *Tx) Delete(key string) (bool, error) {
	if err := tx.check(key); err != nil {
		return false, err
	}
	_, ok := tx.get(key)
	if ok {
		tx.record(store.Mutation{Op: store.OpDelete, Key: key}, txWrite{del: true})
	}
	return ok, nil
}

// TxGet returns the value stored under key, as the transaction sees it,
// decoded into a T, like Get.
func TxGet[T any](tx *Tx, key string) (T, error) {
	var v T
	b, err := tx.GetBytes(key)
	if err != nil {
		return v, err
	}
	return decodeValue[T](tx.db.opts.Codec, key, b)
}

// TxSet sets key to v in the transaction, encoded as Set encodes it, with
// the options of SetBytes. The encoding runs in the owner goroutine, so
// keep values small.
func TxSet[T any](tx *Tx, key string, v T, opts ...SetOption) error {
	if tx.done {
		return ErrTxDone
	}
	at, err := deadline(tx.now.read, opts)
	if err != nil {
		return err
	}
	b, err := encodeValue(tx.db, key, v, nil)
	if err != nil {
		return err
	}
	tx.put(key, b, at)
	return nil
}

func (tx *Tx) check(key string) error {
	if tx.done {
		return ErrTxDone
	}
	return checkKey(key)
}

func (tx *Tx) get(key string) ([]byte, bool) {
	if w, ok := tx.writes[key]; ok {
		if w.at != 0 && w.at <= tx.db.clock() {
			return nil, false
		}
		return w.v, !w.del
	}
	return tx.db.kv.Get(key)
}

func (tx *Tx) put(key string, v []byte, at int64) {
	tx.record(store.Mutation{Op: setOp(at), Key: key, Value: v, At: at}, txWrite{v: v, at: at})
}

func (tx *Tx) record(m store.Mutation, w txWrite) {
	if tx.writes == nil {
		tx.writes = make(map[string]txWrite)
	}
	tx.writes[m.Key] = w
	tx.muts = append(tx.muts, m)
}
