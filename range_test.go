package hurrah

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rangeModel is the sorted model of the store for the range tests: each
// key's value and deadline (Unix ns; 0 none).
type rangeModel map[string]rangeEntry

type rangeEntry struct {
	v  string
	at int64
}

// live returns the keys not expired at now, in [start, end), in order or,
// if reverse, in reverse, at most limit of them (0: all).
func (m rangeModel) scan(now int64, start, end string, o RangeOptions) []string {
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e := m[k]
		if k >= start && (end == "" || k < end) && (e.at == 0 || e.at > now) {
			keys = append(keys, k)
		}
	}
	if o.Reverse {
		slices.Reverse(keys)
	}
	if o.Limit > 0 && len(keys) > o.Limit {
		keys = keys[:o.Limit]
	}
	return keys
}

// deleteRange deletes the model's keys in [start, end) and returns how
// many were live at now.
func (m rangeModel) deleteRange(now int64, start, end string) int {
	n := 0
	for k, e := range m {
		if k >= start && (end == "" || k < end) {
			if e.at == 0 || e.at > now {
				n++
			}
			delete(m, k)
		}
	}
	return n
}

// collectRange returns the keys seq yields, checking each value against m.
func collectRange(t *testing.T, m rangeModel, seq iter.Seq2[string, []byte]) []string {
	t.Helper()
	var keys []string
	for k, b := range seq {
		require.Equal(t, m[k].v, string(b), "value of %q", k)
		keys = append(keys, k)
	}
	return keys
}

// randRange returns random bounds and options over keys k000..k199.
func randRange(rng *rand.Rand) (start, end string, o RangeOptions) {
	start = fmt.Sprintf("k%03d", rng.IntN(210))
	if rng.IntN(4) == 0 {
		start = ""
	}
	if rng.IntN(3) > 0 {
		end = fmt.Sprintf("k%03d", rng.IntN(210))
		if end < start {
			start, end = end, start
		}
	}
	o = RangeOptions{Reverse: rng.IntN(2) == 0}
	if rng.IntN(3) == 0 {
		o.Limit = 1 + rng.IntN(20)
	}
	return start, end, o
}

// TestRangeModel runs random sets (some with deadlines), deletes, range
// and prefix deletes and clock moves, and checks View.Range, View.Sorted
// and Tx.Range against a sorted model as it goes, and the contents after
// a reopen, which replays the range deletes.
func TestRangeModel(t *testing.T) {
	ctx := context.Background()
	c := newTestClock()
	dir := newDir(t)
	db := openT(t, dir, c.opts(Options{}))
	m := rangeModel{}
	rng := rand.New(rand.NewPCG(3, 4))
	for step := range 3000 {
		k := fmt.Sprintf("k%03d", rng.IntN(200))
		switch r := rng.IntN(100); {
		case r < 45:
			v := fmt.Sprint(step)
			var opts []SetOption
			e := rangeEntry{v: v}
			if rng.IntN(4) == 0 {
				ttl := time.Duration(1+rng.IntN(50)) * time.Second
				opts, e.at = append(opts, TTL(ttl)), c.now()+int64(ttl)
			}
			require.NoError(t, db.SetBytes(ctx, k, []byte(v), opts...))
			m[k] = e
		case r < 65:
			_, err := db.Delete(ctx, k)
			require.NoError(t, err)
			delete(m, k)
		case r < 70:
			start, end, _ := randRange(rng)
			n, err := db.DeleteRange(ctx, start, end)
			require.NoError(t, err)
			require.Equal(t, m.deleteRange(c.now(), start, end), n, "DeleteRange(%q, %q)", start, end)
		case r < 73:
			p := k[:1+rng.IntN(3)]
			n, err := db.DeletePrefix(ctx, p)
			require.NoError(t, err)
			require.Equal(t, m.deleteRange(c.now(), p, prefixEndT(p)), n, "DeletePrefix(%q)", p)
		case r < 80:
			c.add(time.Duration(rng.IntN(10)) * time.Second)
		default:
			checkRanges(t, db, m, c.now(), rng)
		}
	}
	checkRanges(t, db, m, c.now(), rng)
	require.NoError(t, db.Close())
	db = openT(t, dir, c.opts(Options{}))
	checkRanges(t, db, m, c.now(), rng)
}

// prefixEndT is the end of a prefix's range, for the tests' models.
func prefixEndT(p string) string { return p[:len(p)-1] + string(p[len(p)-1]+1) }

// checkRanges checks a few random scans of a View and of a Tx against m.
func checkRanges(t *testing.T, db *DB, m rangeModel, now int64, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	for range 5 {
		start, end, o := randRange(rng)
		seq, err := v.Range(start, end, &o)
		require.NoError(t, err)
		require.Equal(t, m.scan(now, start, end, o), collectRange(t, m, seq), "View.Range(%q, %q, %+v)", start, end, o)
	}
	p := fmt.Sprintf("k%d", rng.IntN(3))
	require.Equal(t, m.scan(now, p, prefixEndT(p), RangeOptions{}), collectRange(t, m, v.Sorted(p)), "Sorted(%q)", p)
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		start, end, o := randRange(rng)
		seq, err := tx.Range(start, end, &o)
		require.NoError(t, err)
		require.Equal(t, m.scan(now, start, end, o), collectRange(t, m, seq), "Tx.Range(%q, %q, %+v)", start, end, o)
		return nil
	}))
}

// TestTxRangeSeesOwnWrites checks that a transaction's scan shows its own
// sets and deletes over the store's keys, forward and reverse, and that
// Tx.DeletePrefix deletes what it sees, atomically with the rest.
func TestTxRangeSeesOwnWrites(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	for _, k := range []string{"a1", "a3", "a5", "b1"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte("old")))
	}
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		require.NoError(t, tx.SetBytes("a2", []byte("new")))
		require.NoError(t, tx.SetBytes("a3", []byte("new")))
		_, err := tx.Delete("a5")
		require.NoError(t, err)
		require.NoError(t, tx.SetBytes("a9", []byte("new")))
		want := map[bool][]string{false: {"a1=old", "a2=new", "a3=new", "a9=new"}, true: {"a9=new", "a3=new", "a2=new", "a1=old"}}
		for _, rev := range []bool{false, true} {
			seq, err := tx.Range("a", "b", &RangeOptions{Reverse: rev})
			require.NoError(t, err)
			var got []string
			for k, b := range seq {
				got = append(got, k+"="+string(b))
			}
			require.Equal(t, want[rev], got, "reverse %v", rev)
		}
		seq, err := tx.Range("a", "", &RangeOptions{Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"a1", "a2"}, slices.Collect(keysOf(seq)))
		n, err := tx.DeletePrefix("a")
		require.NoError(t, err)
		require.Equal(t, 4, n)
		seq, err = tx.Range("", "", nil)
		require.NoError(t, err)
		require.Equal(t, []string{"b1"}, slices.Collect(keysOf(seq)))
		return nil
	}))
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"b1"}, keys)

	// After the function returns, a kept iterator yields nothing.
	var kept iter.Seq2[string, []byte]
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		kept, err = tx.Range("", "", nil)
		return err
	}))
	require.Empty(t, slices.Collect(keysOf(kept)))
}

// keysOf yields the keys of seq.
func keysOf(seq iter.Seq2[string, []byte]) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range seq {
			if !yield(k) {
				return
			}
		}
	}
}

// TestRangeBadInput checks that a start after the end and a negative
// limit are an ErrInvalidRange everywhere, and change nothing.
func TestRangeBadInput(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	require.NoError(t, db.SetBytes(ctx, "b", []byte("1")))
	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	_, err = v.Range("c", "a", nil)
	require.ErrorIs(t, err, ErrInvalidRange)
	_, err = v.Range("a", "c", &RangeOptions{Limit: -1})
	require.ErrorIs(t, err, ErrInvalidRange)
	n, err := db.DeleteRange(ctx, "c", "a")
	require.ErrorIs(t, err, ErrInvalidRange)
	require.Zero(t, n)
	require.NoError(t, db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Range("c", "a", nil)
		require.ErrorIs(t, err, ErrInvalidRange)
		_, err = tx.DeleteRange("c", "a")
		require.ErrorIs(t, err, ErrInvalidRange)
		return nil
	}))
	requireContents(t, ctx, db, model{"b": {raw: true, s: "1"}})

	// An empty range is no error, and deletes nothing.
	n, err = db.DeleteRange(ctx, "b", "b")
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, v.Close())
	_, err = v.Range("", "", nil)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, db.Close())
	_, err = db.DeletePrefix(ctx, "b")
	require.ErrorIs(t, err, ErrClosed)
}

// TestViewRangeStableUnderWriters scans an open View again and again while
// writers create and delete keys in its range: every scan yields what the
// View held when it was taken.
func TestViewRangeStableUnderWriters(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	for i := range 2000 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%05d", 2*i), []byte("v")))
	}
	v, err := db.View(ctx)
	require.NoError(t, err)
	defer v.Close()
	seq, err := v.Range("k01000", "k03000", nil)
	require.NoError(t, err)
	want := slices.Collect(keysOf(seq))
	require.Len(t, want, 1000)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for ctx.Err() == nil {
				k := fmt.Sprintf("k%05d", rng.IntN(4000))
				var err error
				if rng.IntN(2) == 0 {
					err = db.SetBytes(ctx, k, []byte("w"))
				} else if rng.IntN(50) == 0 {
					_, err = db.DeletePrefix(ctx, k[:4])
				} else {
					_, err = db.Delete(ctx, k)
				}
				if err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 30 {
		for _, rev := range []bool{false, true} {
			seq, err := v.Range("k01000", "k03000", &RangeOptions{Reverse: rev})
			require.NoError(t, err)
			var got []string
			for k, b := range seq {
				require.Equal(t, "v", string(b))
				got = append(got, k)
			}
			if rev {
				slices.Reverse(got)
			}
			require.Equal(t, want, got)
		}
	}
	cancel()
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
}
