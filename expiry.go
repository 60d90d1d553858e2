package hurrah

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/hurrahdb/hurrah/store"
)

// Expiry. A key set with TTL or Deadline carries a deadline: from the
// moment the store's clock passes it the key is absent to every read (Get,
// Has, Len, Keys, a View, Export), and the owner goroutine removes it soon
// after, as a journaled operation of its own. See the README's "Expiry".

// SetOption qualifies a set: TTL and Deadline give the key a deadline.
// Without one a set stores the key with no deadline, dropping any it had.
// When several are given, the last wins.
type SetOption struct {
	ttl time.Duration
	at  time.Time
	abs bool // at, not ttl
	ok  bool // made by TTL or Deadline: the zero SetOption sets no deadline
}

// TTL makes the key expire d after the store takes the set (its clock read
// when the call is made). A d of zero or less expires the key at once: the
// set replaces any value and the key is absent.
func TTL(d time.Duration) SetOption { return SetOption{ttl: d, ok: true} }

// Deadline makes the key expire at t. A t already past expires it at once,
// as TTL(0) does. The deadline is recorded to the nanosecond, whatever t's
// location; a zero t returns ErrInvalidExpiry.
func Deadline(t time.Time) SetOption { return SetOption{at: t, abs: true, ok: true} }

// minDeadline and maxDeadline bound what UnixNano represents.
var (
	minDeadline = time.Unix(0, math.MinInt64+1)
	maxDeadline = time.Unix(0, math.MaxInt64)
)

// deadline returns the deadline that opts give, in Unix ns (0 for none),
// reading now for a TTL.
func deadline(now func() int64, opts []SetOption) (int64, error) {
	if len(opts) == 0 {
		return 0, nil
	}
	o := opts[len(opts)-1]
	switch {
	case !o.ok:
		return 0, nil
	case !o.abs:
		n := now()
		at := n + int64(o.ttl)
		switch {
		case o.ttl > 0 && at < n: // overflow
			return 0, fmt.Errorf("%w: TTL %v from now passes the year 2262", ErrInvalidExpiry, o.ttl)
		case o.ttl < 0 && at > n:
			at = math.MinInt64 + 1
		}
		return nonZero(at), nil
	}
	if o.at.IsZero() || o.at.Before(minDeadline) || o.at.After(maxDeadline) {
		return 0, fmt.Errorf("%w: deadline %v", ErrInvalidExpiry, o.at)
	}
	return nonZero(o.at.UnixNano()), nil
}

// nonZero keeps a deadline of exactly the epoch, which 0 ("none") cannot
// say, a nanosecond earlier.
func nonZero(at int64) int64 {
	if at == 0 {
		return -1
	}
	return at
}

// expiryClock returns the clock a store reads deadlines against: the wall
// time at Open plus the monotonic time since (store.WallClock), unless a
// test set one.
func (o Options) expiryClock() func() int64 {
	if o.clock != nil {
		return o.clock
	}
	return store.WallClock()
}

// ExpiresAt returns key's deadline, or the zero time if it has none. It
// returns ErrNotFound for a missing (or expired) key.
func (db *DB) ExpiresAt(ctx context.Context, key string) (time.Time, error) {
	if err := db.checkRead(key); err != nil {
		return time.Time{}, err
	}
	var at int64
	var ok bool
	err := db.eng.Read(ctx, func() {
		_, ok = db.kv.Get(key)
		at = db.kv.Deadline(key)
	})
	switch {
	case err != nil:
		return time.Time{}, db.err(err)
	case !ok:
		return time.Time{}, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return deadlineTime(at), nil
}

// Expire gives key the deadline opt says (TTL or Deadline), replacing any
// it had, and reports whether key exists; a missing key is left missing.
// It is journaled and acknowledged like a set.
func (db *DB) Expire(ctx context.Context, key string, opt SetOption) (bool, error) {
	if err := db.checkRead(key); err != nil {
		return false, err
	}
	at, err := deadline(db.clock, []SetOption{opt})
	if err != nil {
		return false, err
	}
	return db.expireAt(ctx, key, at)
}

// Persist drops key's deadline, so that it stays until deleted, and
// reports whether key exists.
func (db *DB) Persist(ctx context.Context, key string) (bool, error) {
	if err := db.checkRead(key); err != nil {
		return false, err
	}
	return db.expireAt(ctx, key, 0)
}

func (db *DB) expireAt(ctx context.Context, key string, at int64) (bool, error) {
	r, err := db.apply(ctx, store.Command{Op: store.OpExpireIfLive, Key: key, At: at},
		store.Command{Op: store.OpExpireAt, Key: key, At: at})
	return r.Found, err
}

// lenTries is how many turns Len lets the owner remove expired keys
// before it counts them from a View: each turn removes up to 256, so a
// million due at once are gone after 4,096. A variable for tests.
var lenTries = 4096

// lenWhileDue answers Len while more keys are due than the owner counts in
// one turn (a million expiring at once), without stalling the owner for
// longer than its pause target: it asks again, turn after turn, each of
// which removes a step of the expired keys, until few enough are due to
// count. If keys expire faster than that, it counts them from a View, in
// the caller's goroutine, rather than wait on.
func (db *DB) lenWhileDue(ctx context.Context) (int, error) {
	for range lenTries {
		r, err := db.query(ctx, store.Query{Op: store.QueryLen})
		if err != nil || r.N >= 0 {
			return r.N, err
		}
	}
	v, err := db.View(ctx)
	if err != nil {
		return 0, err
	}
	defer v.Close()
	return v.Len(), nil
}

// setOp returns the op of a set with the deadline at (0: none).
func setOp(at int64) store.Op {
	if at != 0 {
		return store.OpSetAt
	}
	return store.OpSet
}

// encodeSet returns the journal encoding of a set with the deadline at,
// and the value's bytes inside it (store.EncodeSet).
func encodeSet(key string, value []byte, at int64) (data, stored []byte) {
	if at != 0 {
		return store.EncodeSetAt(key, value, at)
	}
	return store.EncodeSet(key, value)
}

// batchDeadlines gives muts[i] the deadline exps[i] says, if any. Every
// TTL counts from one reading of the clock (instant), as for a Tx: keys
// of one batch set with one TTL expire together.
func (db *DB) batchDeadlines(muts []store.Mutation, exps []SetOption) error {
	now := instant{clock: db.clock}
	for i, o := range exps {
		at, err := deadline(now.read, []SetOption{o})
		if err != nil {
			return fmt.Errorf("%w (key %q)", err, muts[i].Key)
		}
		if at != 0 {
			muts[i].Op, muts[i].At = store.OpSetAt, at
		}
	}
	return nil
}

// noDeadline is the deadline of every record of an image without any.
func noDeadline(string) int64 { return 0 }

// deadlineTime is the time of a deadline in Unix ns, the zero time for 0
// (no deadline).
func deadlineTime(at int64) time.Time {
	if at == 0 {
		return time.Time{}
	}
	return time.Unix(0, at)
}

// instant is one reading of a clock for all the TTLs of an atomic write
// (a Batch, a Tx): it reads the clock the first time it is asked, and
// gives that reading every time after. With a reading per key, two keys
// set with one TTL got deadlines a clock tick apart, and a reader whose
// clock fell between them saw one key of the write expired and the other
// not (TestBatchTTLsOneInstant).
type instant struct {
	clock func() int64
	at    int64
	done  bool
}

// read returns the instant's reading of the clock.
func (i *instant) read() int64 {
	if !i.done {
		i.at, i.done = i.clock(), true
	}
	return i.at
}
