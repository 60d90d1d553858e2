package hurrah

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testClock is a clock the test moves by hand, starting at t0.
type testClock struct{ ns atomic.Int64 }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *testClock) now() int64              { return c.ns.Load() }
func (c *testClock) add(d time.Duration)     { c.ns.Add(int64(d)) }
func (c *testClock) opts(o Options) *Options { o.clock = c.now; return &o }

// requireGone checks that every read agrees that key is absent.
func requireGone(t *testing.T, db *DB, key string) {
	t.Helper()
	ctx := context.Background()
	_, err := db.GetBytes(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)
	ok, err := db.Has(ctx, key)
	require.NoError(t, err)
	require.False(t, ok)
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	require.NotContains(t, keys, key)
	_, err = db.ExpiresAt(ctx, key)
	require.ErrorIs(t, err, ErrNotFound)
	vals, err := db.GetBytesMany(ctx, []string{key})
	require.NoError(t, err)
	require.Nil(t, vals[0])
}

func TestExpiryHidesFromTheDeadline(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	require.NoError(t, Set(ctx, db, "s", "v", TTL(time.Minute)))
	require.NoError(t, db.SetBytes(ctx, "b", []byte("x"), Deadline(t0.Add(2*time.Minute))))
	require.NoError(t, db.SetBytes(ctx, "keep", []byte("y")))
	at, err := db.ExpiresAt(ctx, "s")
	require.NoError(t, err)
	require.True(t, at.Equal(t0.Add(time.Minute)), "%v", at)
	at, err = db.ExpiresAt(ctx, "keep")
	require.NoError(t, err)
	require.True(t, at.IsZero())

	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	c.add(time.Minute - 1)
	s, err := Get[string](ctx, db, "s")
	require.NoError(t, err)
	require.Equal(t, "v", s)
	c.add(1)
	requireGone(t, db, "s")
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	// The View taken before hides it too.
	require.Equal(t, 2, v.Len())
	_, err = v.GetBytes("s")
	require.ErrorIs(t, err, ErrNotFound)
	var keys []string
	for k := range v.Sorted("") {
		keys = append(keys, k)
	}
	require.Equal(t, []string{"b", "keep"}, keys)

	c.add(time.Minute)
	requireGone(t, db, "b")
	n, err = db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestExpireAndPersist(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
	ok, err := db.Expire(ctx, "k", TTL(time.Second))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = db.Expire(ctx, "missing", TTL(time.Second))
	require.NoError(t, err)
	require.False(t, ok)
	_, err = db.GetBytes(ctx, "missing")
	require.ErrorIs(t, err, ErrNotFound, "Expire creates nothing")
	ok, err = db.Persist(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	c.add(time.Hour)
	_, err = db.GetBytes(ctx, "k")
	require.NoError(t, err, "persisted")

	// A plain set drops a deadline.
	require.NoError(t, db.SetBytes(ctx, "t", []byte("v"), TTL(time.Second)))
	require.NoError(t, db.SetBytes(ctx, "t", []byte("w")))
	c.add(time.Hour)
	_, err = db.GetBytes(ctx, "t")
	require.NoError(t, err)

	// A deadline already past expires the key at once, old value too.
	require.NoError(t, db.SetBytes(ctx, "t", []byte("x"), TTL(-time.Second)))
	requireGone(t, db, "t")
}

func TestExpiryBadDeadlineWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	for _, o := range []SetOption{Deadline(time.Time{}), Deadline(time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)),
		Deadline(time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)), TTL(math.MaxInt64)} {
		require.ErrorIs(t, db.SetBytes(ctx, "k", []byte("v"), o), ErrInvalidExpiry)
		require.ErrorIs(t, Set(ctx, db, "k", 1, o), ErrInvalidExpiry)
		var b Batch
		b.SetBytes("k", []byte("v"), o)
		require.ErrorIs(t, db.Write(ctx, &b), ErrInvalidExpiry)
		_, err := db.Expire(ctx, "k", o)
		require.ErrorIs(t, err, ErrInvalidExpiry)
		require.ErrorIs(t, db.Update(ctx, func(tx *Tx) error { return tx.SetBytes("k", nil, o) }), ErrInvalidExpiry)
	}
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	// The zero SetOption sets no deadline.
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v"), SetOption{}))
	at, err := db.ExpiresAt(ctx, "k")
	require.NoError(t, err)
	require.True(t, at.IsZero())
}

func TestExpiryInBatchAndTx(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	dir := newDir(t)
	db := openT(t, dir, c.opts(Options{}))
	var b Batch
	b.SetBytes("a", []byte("1"), TTL(time.Second))
	b.SetBytes("b", []byte("2"))
	require.NoError(t, BatchSet(&b, "c", 3, Deadline(t0.Add(3*time.Second))))
	b.Delete("zz")
	require.NoError(t, db.Write(ctx, &b))
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		if err := TxSet(tx, "d", 4, TTL(2*time.Second)); err != nil {
			return err
		}
		return tx.SetBytes("e", []byte("5"), TTL(-1))
	}))
	requireGone(t, db, "e")
	want := map[string]time.Time{"a": t0.Add(time.Second), "b": {}, "c": t0.Add(3 * time.Second), "d": t0.Add(2 * time.Second)}
	check := func(db *DB) {
		t.Helper()
		for k, w := range want {
			at, err := db.ExpiresAt(ctx, k)
			require.NoError(t, err, k)
			require.True(t, at.Equal(w), "%s: %v, want %v", k, at, w)
		}
	}
	check(db)
	require.NoError(t, db.Close())
	db = openT(t, dir, c.opts(Options{})) // replay keeps the deadlines
	check(db)
	c.add(2 * time.Second)
	requireGone(t, db, "a")
	requireGone(t, db, "d")
}

// TestExpiryReplayAndSnapshot is buntdb's trap: deadlines survive reload
// unchanged, from the journal and from a snapshot; keys that expired while
// the store was closed are gone after Open, and their removal is
// journaled: reopened with the clock turned back, they stay gone.
func TestExpiryReplayAndSnapshot(t *testing.T) {
	ctx := context.Background()
	for _, snap := range []bool{false, true} {
		c := newTestClock()
		dir := newDir(t)
		db := openT(t, dir, c.opts(Options{}))
		require.NoError(t, db.SetBytes(ctx, "soon", []byte("1"), TTL(time.Minute)))
		require.NoError(t, db.SetBytes(ctx, "late", []byte("2"), TTL(time.Hour)))
		require.NoError(t, db.SetBytes(ctx, "never", []byte("3")))
		if snap {
			require.NoError(t, db.Snapshot(ctx))
		}
		require.NoError(t, db.Close())

		c.add(30 * time.Minute)
		db = openT(t, dir, c.opts(Options{}))
		if snap {
			require.Equal(t, 3, db.Recovery().SnapshotKeys)
		}
		requireGone(t, db, "soon")
		at, err := db.ExpiresAt(ctx, "late")
		require.NoError(t, err)
		require.True(t, at.Equal(t0.Add(time.Hour)), "%v", at)
		require.NoError(t, db.Sync(ctx))
		require.NoError(t, db.Close())

		c.add(-30 * time.Minute)
		db = openT(t, dir, c.opts(Options{}))
		requireGone(t, db, "soon")
		n, err := db.Len(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		require.NoError(t, db.Close())
	}
}

// TestExpiryBackupRoundTrip: a backup carries deadlines (as the snapshot
// format version 2) and the restored store keeps them unchanged and hides
// what expires; a store without deadlines still writes version 1.
func TestExpiryBackupRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, newDir(t), c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "plain", []byte("p")))
	var plain bytes.Buffer
	_, err := db.Backup(ctx, &plain)
	require.NoError(t, err)
	require.Equal(t, byte(1), plain.Bytes()[24+8], "no deadline: snapshot version 1")

	require.NoError(t, db.SetBytes(ctx, "soon", []byte("1"), TTL(time.Minute)))
	require.NoError(t, db.SetBytes(ctx, "late", []byte("2"), TTL(time.Hour)))
	var buf bytes.Buffer
	_, err = db.Backup(ctx, &buf)
	require.NoError(t, err)
	require.Equal(t, byte(2), buf.Bytes()[24+8])
	require.NoError(t, db.Close())

	dir, _ := restoreT(t, buf.Bytes())
	c.add(30 * time.Minute)
	db = openT(t, dir, c.opts(Options{}))
	requireGone(t, db, "soon")
	at, err := db.ExpiresAt(ctx, "late")
	require.NoError(t, err)
	require.True(t, at.Equal(t0.Add(time.Hour)), "%v", at)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}

// TestExpiryExportImport: export writes each deadline as "expires" (RFC
// 3339, UTC, to the nanosecond), import sets it unchanged, a deadline
// already past imports nothing, and a bad one is refused as bad input.
func TestExpiryExportImport(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1"), Deadline(t0.Add(1500*time.Millisecond+7))))
	require.NoError(t, Set(ctx, db, "b", "x"))
	var buf bytes.Buffer
	_, err := db.Export(ctx, &buf, nil)
	require.NoError(t, err)
	require.Equal(t, `{"key":"a","value":-18,"expires":"2030-01-02T03:04:06.500000007Z"}`+"\n"+
		`{"key":"b","value":"x"}`+"\n", buf.String())

	db2 := openT(t, newDir(t), c.opts(Options{}))
	in := buf.String() + `{"expires":"2030-01-02T03:04:05+01:00","key":"old","value":1}` + "\n"
	rep, err := db2.Import(ctx, strings.NewReader(in), nil)
	require.NoError(t, err)
	require.Equal(t, int64(2), rep.Keys)
	requireGone(t, db2, "old")
	at, err := db2.ExpiresAt(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, t0.Add(1500*time.Millisecond+7).UnixNano(), at.UnixNano())

	for _, bad := range []string{`"tomorrow"`, `1`, `"2030-01-02"`, `"2300-01-01T00:00:00Z"`} {
		_, err := db2.Import(ctx, strings.NewReader(`{"key":"z","value":1,"expires":`+bad+`}`+"\n"), nil)
		require.ErrorIs(t, err, ErrBadInput, bad)
	}
	requireGone(t, db2, "z")
}

// TestExpiryConditionalWrites: SetIfAbsent and CompareAndSwap see an
// expired key as absent, and a swap without a deadline drops the key's.
func TestExpiryConditionalWrites(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	db := openT(t, newDir(t), c.opts(Options{}))
	require.NoError(t, Set(ctx, db, "k", "a", TTL(time.Second)))
	ok, err := CompareAndSwap(ctx, db, "k", "a", "b")
	require.NoError(t, err)
	require.True(t, ok)
	at, err := db.ExpiresAt(ctx, "k")
	require.NoError(t, err)
	require.True(t, at.IsZero(), "the swap dropped the deadline")

	require.NoError(t, Set(ctx, db, "l", "a", TTL(time.Second)))
	c.add(time.Second)
	ok, err = CompareAndSwap(ctx, db, "l", "a", "b")
	require.NoError(t, err)
	require.False(t, ok, "an expired key holds nothing to swap")
	ok, err = SetIfAbsent(ctx, db, "l", "c")
	require.NoError(t, err)
	require.True(t, ok, "an expired key is absent")
	require.NoError(t, db.Close())
	db = openT(t, db.snaps.dir, c.opts(Options{}))
	got, err := Get[string](ctx, db, "l")
	require.NoError(t, err)
	require.Equal(t, "c", got)
	at, err = db.ExpiresAt(ctx, "l")
	require.NoError(t, err)
	require.True(t, at.IsZero())
}
