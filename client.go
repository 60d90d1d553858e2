package hurrah

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sync/atomic"
	"syscall"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

type engine = store.Engine[store.Command, store.Query, store.Result]

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
	eng       *engine
	opts      Options
	level     store.Level
	journaled bool // whether writes are journaled (so commands are encoded)
	recovery  Recovery
	closed    atomic.Bool
	kv        *store.KV      // the owner's machine: touch it only in functions the owner runs
	snaps     *diskSnapshots // nil for a memory-only store
}

// Recovery says what Open found on disk.
type Recovery struct {
	// Segments is the number of journal segment files read.
	Segments int
	// Records is the number of journal records replayed.
	Records uint64
	// LastLSN is the sequence number of the last record replayed.
	LastLSN uint64
	// TornTail, when not nil, describes an incomplete tail that was cut
	// from the newest segment: the remains of writes that were never
	// acknowledged as synced. Its bytes were saved aside, not destroyed.
	TornTail *TornTail
	// Snapshot is the path of the snapshot the store was restored from,
	// or "" if none; SnapshotLSN is the LSN it was taken at, and
	// SnapshotKeys the number of keys it held.
	Snapshot     string
	SnapshotLSN  uint64
	SnapshotKeys int
	// SkippedSnapshots lists the snapshots, newest first, that failed
	// their checks and were passed over for an older one (the journal
	// still covered the gap). Each error wraps ErrCorrupt and names the
	// file; the files are left in place.
	SkippedSnapshots []error
}

// TornTail describes a torn tail cut off during recovery: the segment, the
// offset of the cut, how many bytes were cut, and the file they were saved
// to.
type TornTail = journal.SetAside

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
	kv := store.NewKV(0)
	eng := store.New[store.Command, store.Query, store.Result](kv, decodeKV, 0)
	db := &DB{opts: o, level: ackLevel(o.Durability), kv: kv, eng: eng, journaled: dir != ""}
	db.snaps, db.recovery, err = startEngine(dir, o, eng, false)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// restore restores eng from s. For the key-value map (not a System) a
// record with an empty key is corruption, as in the journal (decodeKV).
func restore[C, Q, R any](eng *store.Engine[C, Q, R], s *journal.Snapshot, system bool) error {
	if s.Count > uint64(math.MaxInt) {
		return fmt.Errorf("snapshot of %d records", s.Count)
	}
	if system {
		return eng.Restore(s.LSN, int(s.Count), s.Records)
	}
	var bad error
	err := eng.Restore(s.LSN, int(s.Count), func(yield func(k, v []byte) bool) {
		for k, v := range s.Records {
			if len(k) == 0 {
				bad = errEmptyKey
				return
			}
			if !yield(k, v) {
				return
			}
		}
	})
	if bad != nil {
		return bad
	}
	return err
}

// errEmptyKey is the corruption of a record with an empty key: no call
// stores one, and none could read or delete it.
var errEmptyKey = errors.New("hurrah: a record with an empty key")

// decodeKV decodes a journaled key-value command, refusing one with an
// empty key.
func decodeKV(b []byte) (store.Command, error) {
	c, err := store.DecodeCommand(b)
	if err != nil {
		return c, err
	}
	if (c.Op == store.OpSet || c.Op == store.OpDelete) && c.Key == "" {
		return store.Command{}, errEmptyKey
	}
	for _, m := range c.Batch {
		if m.Key == "" {
			return store.Command{}, errEmptyKey
		}
	}
	return c, nil
}

// ackLevel returns the level at which the owner acknowledges writes at d.
func ackLevel(d Durability) store.Level {
	switch d {
	case Written:
		return store.AckWritten
	case Synced:
		return store.AckSynced
	}
	return store.AckApplied
}

// startEngine starts eng, memory-only if dir is empty, or else over the
// journal and snapshots in dir, restoring the newest snapshot there and
// replaying the journal after it first. system says whether eng runs a
// System rather than the key-value map (see checkMarker).
func startEngine[C, Q, R any](dir string, o Options, eng *store.Engine[C, Q, R], system bool) (*diskSnapshots, Recovery, error) {
	aopts := actor.Options{Mailbox: o.MailboxSize, MaxDrain: o.MaxDrain}
	if dir == "" {
		eng.Start(nil, aopts)
		return nil, Recovery{}, nil
	}
	switch fi, err := o.fs.Stat(dir); {
	case err == nil && !fi.IsDir():
		return nil, Recovery{}, fmt.Errorf("%w: %s: %w", ErrBadDir, dir, syscall.ENOTDIR)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, Recovery{}, dirErr("open", dir, err) // the journal would meet it later, or hide it
	}
	if err := checkMarker(o.fs, dir, system); err != nil {
		return nil, Recovery{}, err
	}
	keys := 0
	j, rep, err := journal.Open(o.fs, dir, journal.Options{
		SyncInterval: o.SyncInterval,
		SegmentSize:  o.SegmentSize,
		Mailbox:      o.MailboxSize,
		MaxDrain:     o.MaxDrain,
		Restore: func(s *journal.Snapshot) error {
			keys = int(min(s.Count, math.MaxInt))
			return restore(eng, s, system)
		},
	}, eng.Replay)
	if err != nil {
		return nil, Recovery{}, dirErr("open", dir, err)
	}
	if next := j.NextLSN(); next != eng.LastLSN()+1 {
		j.Close()
		return nil, Recovery{}, fmt.Errorf("%w: journal continues at LSN %d but replay ended at %d", ErrCorrupt, next, eng.LastLSN())
	}
	snaps := &diskSnapshots{j: j, fs: o.fs, dir: dir, keep: o.KeepSnapshots}
	eng.SetSnapshots(snaps, store.SnapshotPolicy{
		Threshold: o.SnapshotThreshold,
		LastSize:  rep.SnapshotSize,
		LastLSN:   rep.Snapshot.LSN,
	})
	eng.Start(j, aopts)
	return snaps, Recovery{
		Segments: rep.Segments, Records: rep.Entries, LastLSN: rep.LastLSN, TornTail: rep.Torn,
		Snapshot: rep.Snapshot.Path, SnapshotLSN: rep.Snapshot.LSN, SnapshotKeys: keys,
		SkippedSnapshots: rep.Skipped,
	}, nil
}

// dirErr classifies an error from opening, checking or repairing the
// journal in dir, so that errors.Is finds the sentinel that fits.
func dirErr(op, dir string, err error) error {
	switch {
	case errors.Is(err, ErrLocked), errors.Is(err, ErrCorrupt), errors.Is(err, ErrVersion):
		return err
	case errors.Is(err, store.ErrBadEntry), errors.Is(err, store.ErrLSNGap):
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	return fmt.Errorf("hurrah: %s %s: %w", op, dir, err)
}

// Recovery reports what Open found on disk: records replayed and any torn
// tail it cut off. It is the zero value for a memory-only store.
func (db *DB) Recovery() Recovery { return db.recovery }

// Durability returns the level the store acknowledges writes at.
func (db *DB) Durability() Durability { return db.opts.Durability }

// SetBytes stores value under key as raw bytes, replacing any value. The
// store keeps its own copy. Get[[]byte] does not read such a value back
// (typed values are CBOR); GetBytes does.
func (db *DB) SetBytes(ctx context.Context, key string, value []byte) error {
	if err := db.checkWrite(key, len(value)); err != nil {
		return err
	}
	return db.set(ctx, key, value, false)
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
	r, err := db.query(ctx, store.Query{Op: store.QueryGet, Key: key})
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

// Sync returns once every write acknowledged before it was called is on
// stable storage. Concurrent calls share one fsync. On a memory-only store it
// returns at once.
func (db *DB) Sync(ctx context.Context) error {
	if db.closed.Load() {
		return ErrClosed
	}
	return db.err(db.eng.Sync(ctx))
}

// Close waits for requests already queued, writes and fsyncs what the
// journal holds, releases the directory lock and stops every goroutine the
// store started. After Close every method returns ErrClosed. Close is
// idempotent: later calls return the first call's result.
func (db *DB) Close() error {
	db.closed.Store(true)
	return db.eng.Close()
}

// set stores value under key. owned says the caller gives value up to the
// store; otherwise the store keeps a copy. A store that journals copies
// value once, into the journal record it encodes, and keeps the value
// inside the record unless the key is long.
func (db *DB) set(ctx context.Context, key string, value []byte, owned bool) error {
	if !db.journaled {
		if !owned {
			value = append([]byte(nil), value...)
		}
		_, err := db.send(ctx, store.Command{Op: store.OpSet, Key: key, Value: value})
		return err
	}
	if db.closed.Load() {
		return ErrClosed
	}
	if len(value) == 0 {
		value = nil // journaled as null and kept as nil, as a copy of it would be
	}
	data, stored := store.EncodeSet(key, value)
	if err := checkRecord(data); err != nil {
		return err
	}
	if len(data)-len(stored) > maxRecordOverhead {
		// A long key: keeping the value inside the record would keep the
		// key's bytes alive twice over.
		stored = append([]byte(nil), stored...)
	}
	_, err := db.eng.Update(ctx, store.Command{Op: store.OpSet, Key: key, Value: stored}, data, db.level)
	return db.err(err)
}

// maxRecordOverhead is the most bytes a record may hold beyond its value
// for the map to keep the value inside it: a key up to 26 bytes.
const maxRecordOverhead = 32

func (db *DB) get(ctx context.Context, key string) ([]byte, error) {
	if err := db.checkRead(key); err != nil {
		return nil, err
	}
	r, err := db.query(ctx, store.Query{Op: store.QueryGet, Key: key})
	if err != nil {
		return nil, err
	}
	if !r.Found {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return r.Value, nil
}

func (db *DB) send(ctx context.Context, c store.Command) (store.Result, error) {
	return db.apply(ctx, c, c)
}

// apply sends c to the owner; if it changes the store, what is journaled is
// the encoding of logged, the command that replays the change.
func (db *DB) apply(ctx context.Context, c, logged store.Command) (store.Result, error) {
	if db.closed.Load() {
		return store.Result{}, ErrClosed
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
	if db.closed.Load() {
		return store.Result{}, ErrClosed
	}
	r, err := db.eng.Query(ctx, q)
	return r, db.err(err)
}

func (db *DB) err(err error) error {
	if errors.Is(err, store.ErrClosed) {
		return ErrClosed
	}
	return err
}

// checkRead checks a key given to a read or a delete. A closed store wins
// over a bad argument, so every call after Close returns ErrClosed. Keys up
// to MaxKeySizeLimit pass, so that keys written under a larger MaxKeySize
// stay reachable.
func (db *DB) checkRead(key string) error {
	if db.closed.Load() {
		return ErrClosed
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
	if n > db.opts.MaxValueSize {
		return fmt.Errorf("%w: value of %d bytes exceeds MaxValueSize %d", ErrTooLarge, n, db.opts.MaxValueSize)
	}
	return nil
}
