package hurrah

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// DB is a handle to an open store. It is safe for concurrent use by multiple
// goroutines and meant to be long-lived: open it once, share it, and Close it
// when the program is done with the store.
//
// One owner goroutine holds the data and applies every request in turn, so
// each call is atomic and calls made one after another by one goroutine take
// effect in that order. Values are encoded and decoded in the caller's
// goroutine.
//
// Every method takes a context: if it ends before the store answers, the
// method returns the context's error. A write cut short that way may still
// be applied, as any write that returns an error may be.
type DB struct {
	handle[store.Command, store.Query, store.Result]
	kv    *store.KV    // the owner's machine: touch it only in functions the owner runs
	clock func() int64 // expiry's clock, Unix ns (the KV's too): safe from any goroutine
}

// Open opens the store kept in dir, creating the directory if needed, and
// replays its journal. An empty dir opens a memory-only store that touches no
// disk. opts may be nil for the defaults.
//
// While the store is open it holds an exclusive lock on dir: a second Open of
// the same directory, from this process or another, fails with ErrLocked.
func Open(dir string, opts *Options) (*DB, error) {
	o, err := opts.resolve(dir != "")
	if err != nil {
		return nil, err
	}
	db := newDB(o, dir)
	if err := db.start(dir, refuseSystem); err != nil {
		return nil, err
	}
	return db, nil
}

// newDB returns a DB over an empty key-value engine, not yet started:
// what Open and OpenBackup share.
func newDB(o Options, dir string) *DB {
	kv := store.NewKV(0)
	db := &DB{kv: kv, clock: o.expiryClock()}
	kv.SetClock(db.clock, o.clock == nil)
	db.init(store.NewKVEngine(kv), o, dir)
	return db
}

// Durability returns the level the store acknowledges writes at.
func (db *DB) Durability() Durability { return db.opts.Durability }

// SetBytes stores value under key as raw bytes, replacing any value. The
// store keeps its own copy. Get[[]byte] does not read such a value back
// (typed values are CBOR); GetBytes does. With TTL or Deadline the key
// expires (see SetOption); without, it keeps no deadline it had.
func (db *DB) SetBytes(ctx context.Context, key string, value []byte, opts ...SetOption) error {
	if err := db.checkWrite(key, len(value)); err != nil {
		return err
	}
	at, err := deadline(db.clock, opts)
	if err != nil {
		return err
	}
	return db.set(ctx, key, value, false, at)
}

// GetBytes returns a copy of the bytes stored under key (for a value stored
// with Set, its CBOR encoding), or ErrNotFound.
func (db *DB) GetBytes(ctx context.Context, key string) ([]byte, error) {
	b, err := db.get(ctx, key)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// Has reports whether key is in the store.
func (db *DB) Has(ctx context.Context, key string) (bool, error) {
	if err := db.checkRead(key); err != nil {
		return false, err
	}
	r, err := db.lookup(ctx, key)
	return r.Found, err
}

// Delete removes key and reports whether it was there. Deleting a missing
// key is not an error and writes nothing.
func (db *DB) Delete(ctx context.Context, key string) (bool, error) {
	if err := db.checkRead(key); err != nil {
		return false, err
	}
	r, err := db.send(ctx, store.Command{Op: store.OpDelete, Key: key})
	return r.Found, err
}

// Clear removes every key, as one journaled operation.
func (db *DB) Clear(ctx context.Context) error {
	_, err := db.send(ctx, store.Command{Op: store.OpClear})
	return err
}

// Len returns the number of keys.
func (db *DB) Len(ctx context.Context) (int, error) {
	r, err := db.query(ctx, store.Query{Op: store.QueryLen})
	if err == nil && r.N < 0 {
		return db.lenWhileDue(ctx) // many keys due (expiry.go)
	}
	return r.N, err
}

// Keys returns every key, in no particular order, as of one point in time.
// It collects them from a View, in the calling goroutine, so writers go on
// meanwhile.
func (db *DB) Keys(ctx context.Context) ([]string, error) {
	v, err := db.View(ctx)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	keys := make([]string, 0, v.Len())
	for k := range v.All() {
		keys = append(keys, k)
	}
	return keys, nil
}

// set stores value under key, with the deadline at (0: none). owned says
// the caller gives value up to the store; otherwise the store keeps a copy. A store that journals copies
// value once, into the journal record it encodes, and keeps the value
// inside the record unless the key is long.
func (db *DB) set(ctx context.Context, key string, value []byte, owned bool, at int64) error {
	if !db.journaled {
		if !owned {
			value = append([]byte(nil), value...)
		}
		_, err := db.send(ctx, store.Command{Op: setOp(at), Key: key, Value: value, At: at})
		return err
	}
	if err := db.check(); err != nil {
		return err
	}
	if len(value) == 0 {
		value = nil // journaled as null and kept as nil, as a copy of it would be
	}
	data, stored := encodeSet(key, value, at)
	if err := checkRecord(data); err != nil {
		return err
	}
	if len(data)-len(stored) > maxRecordOverhead {
		// A long key: keeping the value inside the record would keep the
		// key's bytes alive twice over.
		stored = append([]byte(nil), stored...)
	}
	_, err := db.eng.Update(ctx, store.Command{Op: setOp(at), Key: key, Value: stored, At: at}, data, db.level)
	return db.err(err)
}

// maxRecordOverhead is the most bytes a record may hold beyond its value
// for the map to keep the value inside it: a key up to 26 bytes.
const maxRecordOverhead = 32

// get returns the value of key: from the image the owner published, if it
// is current (store.Engine.Lookup, a lock-free read), else from the owner.
func (db *DB) get(ctx context.Context, key string) ([]byte, error) {
	if err := db.checkRead(key); err != nil {
		return nil, err
	}
	r, err := db.lookup(ctx, key)
	if err != nil {
		return nil, err
	}
	if !r.Found {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return r.Value, nil
}

// lookup reads key, checked already: from the published image if it is
// current, else from the owner.
func (db *DB) lookup(ctx context.Context, key string) (store.Result, error) {
	if v, found, ok := db.eng.Lookup(key); ok {
		return store.Result{Value: v, Found: found}, nil
	}
	return db.query(ctx, store.Query{Op: store.QueryGet, Key: key})
}

func (db *DB) send(ctx context.Context, c store.Command) (store.Result, error) {
	return db.apply(ctx, c, c)
}

// apply sends c to the owner; if it changes the store, what is journaled is
// the encoding of logged, the command that replays the change.
func (db *DB) apply(ctx context.Context, c, logged store.Command) (store.Result, error) {
	if err := db.check(); err != nil {
		return store.Result{}, err
	}
	var data []byte
	if db.journaled {
		var err error
		if data, err = store.EncodeCommand(logged); err != nil {
			return store.Result{}, fmt.Errorf("%w: %w", ErrEncode, err)
		}
		if err := checkRecord(data); err != nil {
			return store.Result{}, err
		}
	}
	r, err := db.eng.Update(ctx, c, data, db.level)
	return r, db.err(err)
}

func (db *DB) query(ctx context.Context, q store.Query) (store.Result, error) {
	if err := db.check(); err != nil {
		return store.Result{}, err
	}
	r, err := db.eng.Query(ctx, q)
	return r, db.err(err)
}

// checkRead checks a key given to a read or a delete. A closed store wins
// over a bad argument, so every call after Close returns ErrClosed. Keys up
// to MaxKeySizeLimit pass, so that keys written under a larger MaxKeySize
// stay reachable.
func (db *DB) checkRead(key string) error {
	if err := db.check(); err != nil {
		return err
	}
	return checkKey(key)
}

// checkRecord checks that an encoded command fits in one journal record.
// The journal would otherwise refuse it and turn read-only.
func checkRecord(data []byte) error {
	if len(data) > maxRecord {
		return fmt.Errorf("%w: a record of %d bytes exceeds the journal's limit of %d", ErrTooLarge, len(data), maxRecord)
	}
	return nil
}

// maxRecord is the journal's limit on one record; tests lower it.
var maxRecord = journal.MaxEntry

// checkKey checks a key given to a read or a delete: not empty, and at
// most MaxKeySizeLimit bytes.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > MaxKeySizeLimit {
		return fmt.Errorf("%w: key of %d bytes exceeds %d", ErrTooLarge, len(key), MaxKeySizeLimit)
	}
	return nil
}

// checkWrite checks the key and the value size (n bytes) of a write.
func (db *DB) checkWrite(key string, n int) error {
	if err := db.checkRead(key); err != nil {
		return err
	}
	if len(key) > db.opts.MaxKeySize {
		return fmt.Errorf("%w: key of %d bytes exceeds MaxKeySize %d", ErrTooLarge, len(key), db.opts.MaxKeySize)
	}
	return db.opts.checkSize("value", n)
}
