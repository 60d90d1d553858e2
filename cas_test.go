package hurrah

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// casPoint is a struct value for typed swaps; casFunc is one CBOR cannot
// encode.
type casPoint struct{ X, Y int }

type casFunc struct {
	Name string
	F    func()
}

// casKinds are the stores every compare-and-swap test runs on.
func casKinds() map[string]func(t *testing.T) (*DB, string) {
	return map[string]func(t *testing.T) (*DB, string){
		"memory": func(t *testing.T) (*DB, string) { return openT(t, "", nil), "" },
		"written": func(t *testing.T) (*DB, string) {
			dir := newDir(t)
			return openT(t, dir, nil), dir
		},
		"synced": func(t *testing.T) (*DB, string) {
			dir := newDir(t)
			return openT(t, dir, &Options{Durability: Synced}), dir
		},
	}
}

func TestCompareAndSwap(t *testing.T) {
	for name, open := range casKinds() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, _ := open(t)
			require.NoError(t, Set(ctx, db, "k", "a"))

			swapped, err := CompareAndSwap(ctx, db, "k", "a", "b")
			require.NoError(t, err)
			require.True(t, swapped, "old matches")
			requireContents(t, ctx, db, model{"k": {s: "b"}})

			swapped, err = CompareAndSwap(ctx, db, "k", "a", "c")
			require.NoError(t, err)
			require.False(t, swapped, "old is stale")
			requireContents(t, ctx, db, model{"k": {s: "b"}})

			swapped, err = CompareAndSwap(ctx, db, "missing", "", "c")
			require.NoError(t, err)
			require.False(t, swapped, "a missing key never matches")
			swapped, err = db.CompareAndSwapBytes(ctx, "missing", nil, []byte("c"))
			require.NoError(t, err)
			require.False(t, swapped, "a missing key never matches nil")
			requireContents(t, ctx, db, model{"k": {s: "b"}})

			// A typed value compares by its encoding, so the same
			// struct matches and a different one does not.
			require.NoError(t, Set(ctx, db, "p", casPoint{1, 2}))
			swapped, err = CompareAndSwap(ctx, db, "p", casPoint{1, 3}, casPoint{9, 9})
			require.NoError(t, err)
			require.False(t, swapped)
			swapped, err = CompareAndSwap(ctx, db, "p", casPoint{1, 2}, casPoint{3, 4})
			require.NoError(t, err)
			require.True(t, swapped)
			p, err := Get[casPoint](ctx, db, "p")
			require.NoError(t, err)
			require.Equal(t, casPoint{3, 4}, p)

			// A string does not match the same text stored as an int
			// or as raw bytes: the encodings differ.
			require.NoError(t, Set(ctx, db, "n", 7))
			swapped, err = CompareAndSwap(ctx, db, "n", "7", "8")
			require.NoError(t, err)
			require.False(t, swapped)
			swapped, err = CompareAndSwap(ctx, db, "n", 7, 8)
			require.NoError(t, err)
			require.True(t, swapped)
			n, err := Get[int](ctx, db, "n")
			require.NoError(t, err)
			require.Equal(t, 8, n)
		})
	}
}

func TestCompareAndSwapBytes(t *testing.T) {
	for name, open := range casKinds() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, _ := open(t)
			require.NoError(t, db.SetBytes(ctx, "raw", []byte("one")))
			require.NoError(t, db.SetBytes(ctx, "empty", nil))

			swapped, err := db.CompareAndSwapBytes(ctx, "raw", []byte("on"), []byte("x"))
			require.NoError(t, err)
			require.False(t, swapped, "a prefix is not equal")
			swapped, err = db.CompareAndSwapBytes(ctx, "raw", []byte("one"), []byte("two"))
			require.NoError(t, err)
			require.True(t, swapped)
			swapped, err = db.CompareAndSwapBytes(ctx, "empty", nil, []byte{})
			require.NoError(t, err)
			require.True(t, swapped, "a present empty value matches nil")

			// The store keeps its own copies of old and new.
			old, nw := []byte("two"), []byte("three")
			swapped, err = db.CompareAndSwapBytes(ctx, "raw", old, nw)
			require.NoError(t, err)
			require.True(t, swapped)
			copy(old, "xxx")
			copy(nw, "XXXXX")
			requireContents(t, ctx, db, model{"raw": {raw: true, s: "three"}, "empty": {raw: true}})

			// Typed CAS on a raw value matches only a CBOR encoding.
			swapped, err = CompareAndSwap(ctx, db, "raw", "three", "four")
			require.NoError(t, err)
			require.False(t, swapped)
			require.NoError(t, Set(ctx, db, "typed", "s"))
			enc, err := db.GetBytes(ctx, "typed")
			require.NoError(t, err)
			swapped, err = db.CompareAndSwapBytes(ctx, "typed", enc, []byte("raw now"))
			require.NoError(t, err)
			require.True(t, swapped, "the raw encoding of a typed value matches")
			requireContents(t, ctx, db, model{
				"raw": {raw: true, s: "three"}, "empty": {raw: true}, "typed": {raw: true, s: "raw now"},
			})
		})
	}
}

// TestCompareAndSwapReopen checks that a swap is journaled as the set it
// amounts to, and a failed comparison journals nothing: the LSN after a
// reopen counts the swaps only.
func TestCompareAndSwapReopen(t *testing.T) {
	for _, level := range []Durability{Buffered, Written, Synced} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			dir := newDir(t)
			opts := &Options{Durability: level}
			db := openT(t, dir, opts)
			require.NoError(t, Set(ctx, db, "k", "a"))             // 1
			require.NoError(t, db.SetBytes(ctx, "r", []byte("x"))) // 2
			for _, c := range []struct {
				key      string
				old, new string
				want     bool
			}{
				{"k", "a", "b", true},  // 3
				{"k", "a", "c", false}, // stale
				{"z", "a", "c", false}, // missing
				{"k", "b", "b", true},  // 4: same value, still a write
			} {
				swapped, err := CompareAndSwap(ctx, db, c.key, c.old, c.new)
				require.NoError(t, err)
				require.Equal(t, c.want, swapped, "%+v", c)
			}
			swapped, err := db.CompareAndSwapBytes(ctx, "r", []byte("x"), []byte("y")) // 5
			require.NoError(t, err)
			require.True(t, swapped)
			want := model{"k": {s: "b"}, "r": {raw: true, s: "y"}}
			require.NoError(t, db.Close())

			db = openT(t, dir, opts)
			require.Equal(t, Recovery{Segments: 1, Records: 5, LastLSN: 5}, db.Recovery())
			requireContents(t, ctx, db, want)

			// Only failed swaps now: nothing reaches the disk.
			require.NoError(t, db.Sync(ctx))
			before := snapshotDir(t, dir)
			for range 3 {
				swapped, err := CompareAndSwap(ctx, db, "k", "a", "c")
				require.NoError(t, err)
				require.False(t, swapped)
				swapped, err = db.CompareAndSwapBytes(ctx, "gone", nil, []byte("c"))
				require.NoError(t, err)
				require.False(t, swapped)
			}
			require.NoError(t, db.Sync(ctx))
			requireSameDir(t, before, dir)
			require.NoError(t, db.Close())

			db = openT(t, dir, opts)
			require.Equal(t, uint64(5), db.Recovery().Records)
			require.Equal(t, uint64(5), db.Recovery().LastLSN)
			requireContents(t, ctx, db, want)
		})
	}
}

// TestCompareAndSwapBadInput checks that each misuse returns the error the
// same misuse of Set returns, and changes nothing in memory or on disk.
func TestCompareAndSwapBadInput(t *testing.T) {
	longKey := strings.Repeat("K", 9)
	cases := []struct {
		name string
		want error
		call func(ctx context.Context, db *DB) (bool, error)
	}{
		{"empty key", ErrInvalidKey, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, "", "orig", "v")
		}},
		{"bytes empty key", ErrInvalidKey, func(ctx context.Context, db *DB) (bool, error) {
			return db.CompareAndSwapBytes(ctx, "", nil, []byte("v"))
		}},
		{"empty key bad value", ErrInvalidKey, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap[any](ctx, db, "", "orig", make(chan int))
		}},
		{"long key", ErrTooLarge, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, longKey, "orig", "v")
		}},
		{"bytes long key", ErrTooLarge, func(ctx context.Context, db *DB) (bool, error) {
			return db.CompareAndSwapBytes(ctx, longKey, nil, nil)
		}},
		{"huge key", ErrTooLarge, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, strings.Repeat("K", MaxKeySizeLimit+1), "orig", "v")
		}},
		{"large new", ErrTooLarge, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, "k", "orig", strings.Repeat("v", 16)) // 17 bytes of CBOR
		}},
		{"bytes large new", ErrTooLarge, func(ctx context.Context, db *DB) (bool, error) {
			return db.CompareAndSwapBytes(ctx, "raw", []byte("raw"), make([]byte, 17))
		}},
		{"old chan", ErrEncode, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap[any](ctx, db, "k", make(chan int), "v")
		}},
		{"new func", ErrEncode, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap[any](ctx, db, "k", "orig", func() {})
		}},
		{"new struct with func", ErrEncode, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, "k", casFunc{Name: "x"}, casFunc{Name: "y", F: func() {}})
		}},
		{"complex", ErrEncode, func(ctx context.Context, db *DB) (bool, error) {
			return CompareAndSwap(ctx, db, "k", complex(1, 2), complex(3, 4))
		}},
	}
	for _, persistent := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("persistent=%v/%s", persistent, c.name), func(t *testing.T) {
				ctx := t.Context()
				dir := ""
				if persistent {
					dir = newDir(t)
				}
				db := openT(t, dir, &Options{MaxKeySize: 8, MaxValueSize: 16, SyncInterval: time.Hour})
				require.NoError(t, Set(ctx, db, "k", "orig"))
				require.NoError(t, db.SetBytes(ctx, "raw", []byte("raw")))
				want := model{"k": {s: "orig"}, "raw": {raw: true, s: "raw"}}
				var disk map[string][]byte
				if persistent {
					require.NoError(t, db.Sync(ctx))
					disk = snapshotDir(t, dir)
				}

				swapped, err := c.call(ctx, db)
				require.ErrorIs(t, err, c.want)
				require.False(t, swapped)
				requireContents(t, ctx, db, want)
				if persistent {
					require.NoError(t, db.Sync(ctx))
					requireSameDir(t, disk, dir)
				}
			})
		}
	}
}

// TestCompareAndSwapOldHasNoLimit: old is only compared, so an old value
// over MaxValueSize is accepted and simply does not match.
func TestCompareAndSwapOldHasNoLimit(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), &Options{MaxValueSize: 16})
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
	swapped, err := db.CompareAndSwapBytes(ctx, "k", make([]byte, 100), []byte("w"))
	require.NoError(t, err)
	require.False(t, swapped)
	requireContents(t, ctx, db, model{"k": {raw: true, s: "v"}})
}

func TestCompareAndSwapClosed(t *testing.T) {
	for name, open := range casKinds() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, dir := open(t)
			require.NoError(t, Set(ctx, db, "k", "a"))
			require.NoError(t, db.Close())
			var disk map[string][]byte
			if dir != "" {
				disk = snapshotDir(t, dir)
			}
			swapped, err := CompareAndSwap(ctx, db, "k", "a", "b")
			require.ErrorIs(t, err, ErrClosed)
			require.False(t, swapped)
			swapped, err = db.CompareAndSwapBytes(ctx, "k", nil, nil)
			require.ErrorIs(t, err, ErrClosed)
			require.False(t, swapped)
			swapped, err = CompareAndSwap(ctx, db, "", "a", "b")
			require.ErrorIs(t, err, ErrClosed, "a closed store wins over a bad key")
			require.False(t, swapped)
			if dir != "" {
				requireSameDir(t, disk, dir)
				db2 := openT(t, dir, nil)
				requireContents(t, ctx, db2, model{"k": {s: "a"}})
			}
		})
	}
}

// TestCompareAndSwapCanceled: a call whose context is already done returns
// the context's error and reports no swap (the swap may or may not have
// happened, as for any write cut short).
func TestCompareAndSwapCanceled(t *testing.T) {
	db := openT(t, newDir(t), nil)
	require.NoError(t, Set(t.Context(), db, "k", "a"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	swapped, err := CompareAndSwap(ctx, db, "k", "a", "b")
	if err != nil {
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, swapped)
	} else {
		require.True(t, swapped, "the owner took it before the context was seen")
	}
}

// TestCompareAndSwapCounter increments one counter from many goroutines with
// read-then-CAS loops: every increment that reports a swap must count, so
// the counter ends at exactly the number of goroutines times increments.
func TestCompareAndSwapCounter(t *testing.T) {
	const workers, incs = 8, 50
	for name, open := range casKinds() {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			db, dir := open(t)
			require.NoError(t, Set(ctx, db, "n", 0))
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Go(func() {
					for range incs {
						for {
							n, err := Get[int](ctx, db, "n")
							if err != nil {
								errs <- err
								return
							}
							ok, err := CompareAndSwap(ctx, db, "n", n, n+1)
							if err != nil {
								errs <- err
								return
							}
							if ok {
								break
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			n, err := Get[int](ctx, db, "n")
			require.NoError(t, err)
			require.Equal(t, workers*incs, n)
			if dir != "" {
				require.NoError(t, db.Close())
				db2 := openT(t, dir, &Options{Durability: db.Durability()})
				n, err := Get[int](ctx, db2, "n")
				require.NoError(t, err)
				require.Equal(t, workers*incs, n)
				require.Equal(t, uint64(1+workers*incs), db2.Recovery().Records, "one record per swap")
			}
		})
	}
}

// TestCompareAndSwapMap checks that a map compares by its contents: maps
// are encoded with their keys in a fixed order, so an equal map built in
// another order matches every time.
func TestCompareAndSwapMap(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	stored := map[string]int{}
	for i := range 20 {
		stored["key-"+strconv.Itoa(i)] = i
	}
	for round := range 20 {
		require.NoError(t, Set(ctx, db, "m", stored))
		old := map[string]int{}
		for i := 19; i >= 0; i-- { // built in another order
			old["key-"+strconv.Itoa(i)] = i
		}
		swapped, err := CompareAndSwap(ctx, db, "m", old, map[string]int{"swapped": round})
		require.NoError(t, err)
		require.True(t, swapped, "round %d: an equal map must match", round)
	}
}
