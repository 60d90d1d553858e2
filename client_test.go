package hurrah

import (
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

type point struct {
	X, Y int
}

type nested struct {
	Name   string
	Tags   []string
	Attrs  map[string]int
	Points []point
	Inner  *nested
	When   time.Time
	Blob   []byte
	Ratio  float64
}

// roundTrip stores v under key, reads it back as a T and compares.
func roundTrip[T any](t *testing.T, db *DB, key string, v T) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, Set(ctx, db, key, v))
	got, err := Get[T](ctx, db, key)
	require.NoError(t, err)
	require.Equal(t, v, got)
}

// storeKinds opens a memory-only and a persistent store for table tests that
// must hold for both.
func storeKinds(*testing.T) map[string]func(t *testing.T) *DB {
	return map[string]func(t *testing.T) *DB{
		"memory":  func(t *testing.T) *DB { return openT(t, "", nil) },
		"written": func(t *testing.T) *DB { return openT(t, newDir(t), nil) },
	}
}

func TestSetGetTypes(t *testing.T) {
	// Whole seconds and nanoseconds, in UTC: a time reads back as the same
	// instant with the same offset (TestTimeRoundTrip covers other zones).
	when := time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC)
	cases := []struct {
		name string
		run  func(t *testing.T, db *DB)
	}{
		{"struct", func(t *testing.T, db *DB) { roundTrip(t, db, "k", point{X: 3, Y: -4}) }},
		{"map", func(t *testing.T, db *DB) { roundTrip(t, db, "k", map[string]int{"a": 1, "b": 2}) }},
		{"slice", func(t *testing.T, db *DB) { roundTrip(t, db, "k", []string{"x", "", "z"}) }},
		{"string", func(t *testing.T, db *DB) { roundTrip(t, db, "k", "héllo, wörld") }},
		{"empty string", func(t *testing.T, db *DB) { roundTrip(t, db, "k", "") }},
		{"invalid utf-8 string", func(t *testing.T, db *DB) { roundTrip(t, db, "k", "a\xff\xfe\x80b") }},
		{"int", func(t *testing.T, db *DB) { roundTrip(t, db, "k", -42) }},
		{"int64 min", func(t *testing.T, db *DB) { roundTrip(t, db, "k", int64(math.MinInt64)) }},
		{"uint64 max", func(t *testing.T, db *DB) { roundTrip(t, db, "k", uint64(math.MaxUint64)) }},
		{"float", func(t *testing.T, db *DB) { roundTrip(t, db, "k", 3.141592653589793) }},
		{"float32", func(t *testing.T, db *DB) { roundTrip(t, db, "k", float32(1.5)) }},
		{"bool", func(t *testing.T, db *DB) { roundTrip(t, db, "k", true) }},
		{"time whole seconds", func(t *testing.T, db *DB) { roundTrip(t, db, "k", when) }},
		{"bytes", func(t *testing.T, db *DB) { roundTrip(t, db, "k", []byte{0, 1, 2, 0xff}) }},
		{"empty bytes", func(t *testing.T, db *DB) { roundTrip(t, db, "k", []byte{}) }},
		{"pointer", func(t *testing.T, db *DB) { v := 7; roundTrip(t, db, "k", &v) }},
		{"nested", func(t *testing.T, db *DB) {
			roundTrip(t, db, "k", nested{
				Name: "outer", Tags: []string{"a", "b"}, Attrs: map[string]int{"n": 1},
				Points: []point{{1, 2}, {3, 4}}, When: when, Blob: []byte("blob"), Ratio: 0.25,
				Inner: &nested{Name: "inner", Attrs: map[string]int{}, When: when},
			})
		}},
		{"invalid utf-8 key", func(t *testing.T, db *DB) { roundTrip(t, db, "\xff\x00key", "v") }},
		{"overwrite with another type", func(t *testing.T, db *DB) {
			roundTrip(t, db, "k", 1)
			roundTrip(t, db, "k", "now a string")
		}},
	}
	for kind, open := range storeKinds(t) {
		for _, c := range cases {
			t.Run(kind+"/"+c.name, func(t *testing.T) { c.run(t, open(t)) })
		}
	}
}

// TestTypesSurviveReopen checks that typed values read back the same from the
// journal as from memory.
func TestTypesSurviveReopen(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	when := time.Unix(1000000000, 5).UTC()
	v := nested{Name: "n\xff", Tags: []string{"t"}, Attrs: map[string]int{"a": -1},
		Points: []point{{5, 6}}, When: when, Blob: []byte{9}, Ratio: -2.5}
	db := openT(t, dir, nil)
	require.NoError(t, Set(ctx, db, "nested", v))
	require.NoError(t, Set(ctx, db, "\xffbad-key", 12))
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	got, err := Get[nested](ctx, db, "nested")
	require.NoError(t, err)
	require.Equal(t, v, got)
	n, err := Get[int](ctx, db, "\xffbad-key")
	require.NoError(t, err)
	require.Equal(t, 12, n)
}

// TestTimeRoundTrip: a time.Time should read back as the same instant in
// the same zone.
func TestTimeRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		when time.Time
	}{
		{"whole seconds local", time.Unix(1709212455, 0)},
		{"nanoseconds", time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC)},
		{"fixed zone", time.Date(2024, 2, 29, 13, 14, 15, 0, time.FixedZone("X", 2*3600))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			db := openT(t, "", nil)
			require.NoError(t, Set(ctx, db, "t", c.when))
			got, err := Get[time.Time](ctx, db, "t")
			require.NoError(t, err)
			_, wantOff := c.when.Zone()
			_, gotOff := got.Zone()
			require.True(t, got.Equal(c.when), "stored %v, read back %v", c.when, got)
			require.Equal(t, wantOff, gotOff, "stored %v, read back %v", c.when, got)
		})
	}
}

func TestSetBytesGetBytesCopy(t *testing.T) {
	for kind, open := range storeKinds(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			db := open(t)
			in := []byte("original")
			require.NoError(t, db.SetBytes(ctx, "k", in))
			copy(in, "XXXXXXXX") // the caller's buffer changes after SetBytes
			out, err := db.GetBytes(ctx, "k")
			require.NoError(t, err)
			require.Equal(t, "original", string(out))

			out[0] = 'Z' // the caller changes what GetBytes returned
			out = append(out[:0], "garbage!"...)
			again, err := db.GetBytes(ctx, "k")
			require.NoError(t, err)
			require.Equal(t, "original", string(again))

			// The same holds for the CBOR bytes of a value stored with Set.
			require.NoError(t, Set(ctx, db, "typed", "text"))
			raw, err := db.GetBytes(ctx, "typed")
			require.NoError(t, err)
			clear(raw)
			s, err := Get[string](ctx, db, "typed")
			require.NoError(t, err)
			require.Equal(t, "text", s)

			// And for a []byte stored with Set and read with Get.
			require.NoError(t, Set(ctx, db, "typedbytes", []byte("abc")))
			gb, err := Get[[]byte](ctx, db, "typedbytes")
			require.NoError(t, err)
			gb[0] = 'Z'
			gb2, err := Get[[]byte](ctx, db, "typedbytes")
			require.NoError(t, err)
			require.Equal(t, "abc", string(gb2))

			// An empty value is a value.
			require.NoError(t, db.SetBytes(ctx, "empty", nil))
			b, err := db.GetBytes(ctx, "empty")
			require.NoError(t, err)
			require.Empty(t, b)
			ok, err := db.Has(ctx, "empty")
			require.NoError(t, err)
			require.True(t, ok)
		})
	}
}

func TestHasDeleteClearLenKeys(t *testing.T) {
	for kind, open := range storeKinds(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			db := open(t)
			n, err := db.Len(ctx)
			require.NoError(t, err)
			require.Zero(t, n)
			keys, err := db.Keys(ctx)
			require.NoError(t, err)
			require.Empty(t, keys)

			for _, k := range []string{"a", "b", "c"} {
				require.NoError(t, Set(ctx, db, k, k+"!"))
			}
			require.NoError(t, db.SetBytes(ctx, "raw", []byte{1}))
			requireContents(t, ctx, db, model{
				"a": {s: "a!"}, "b": {s: "b!"}, "c": {s: "c!"}, "raw": {raw: true, s: "\x01"},
			})

			for _, c := range []struct {
				key  string
				want bool
			}{{"a", true}, {"zz", false}} {
				ok, err := db.Has(ctx, c.key)
				require.NoError(t, err)
				require.Equal(t, c.want, ok, "Has %q", c.key)
			}

			existed, err := db.Delete(ctx, "a")
			require.NoError(t, err)
			require.True(t, existed)
			existed, err = db.Delete(ctx, "a")
			require.NoError(t, err)
			require.False(t, existed, "second Delete")
			existed, err = db.Delete(ctx, "never")
			require.NoError(t, err)
			require.False(t, existed)
			_, err = Get[string](ctx, db, "a")
			require.ErrorIs(t, err, ErrNotFound)
			_, err = db.GetBytes(ctx, "a")
			require.ErrorIs(t, err, ErrNotFound)
			ok, err := db.Has(ctx, "a")
			require.NoError(t, err)
			require.False(t, ok)

			keys, err = db.Keys(ctx)
			require.NoError(t, err)
			slices.Sort(keys)
			require.Equal(t, []string{"b", "c", "raw"}, keys)

			require.NoError(t, db.Clear(ctx))
			requireContents(t, ctx, db, model{})
			require.NoError(t, db.Clear(ctx), "Clear of an empty store")

			require.NoError(t, Set(ctx, db, "after", "1"))
			requireContents(t, ctx, db, model{"after": {s: "1"}})
		})
	}
}

func TestSync(t *testing.T) {
	for _, level := range []Durability{MemoryOnly, Buffered, Written, Synced} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			dir := ""
			if level != MemoryOnly {
				dir = newDir(t)
			}
			db := openT(t, dir, &Options{Durability: level, SyncInterval: time.Hour})
			require.Equal(t, level, db.Durability())
			require.NoError(t, db.Sync(ctx), "Sync with nothing written")
			require.NoError(t, Set(ctx, db, "k", "v"))
			require.NoError(t, db.Sync(ctx))
			require.NoError(t, db.Sync(ctx), "Sync with nothing new")
			if dir != "" {
				// Everything acknowledged is in the segment once Sync
				// returns, whatever the level.
				require.Greater(t, fileSize(t, onlyWAL(t, dir)), int64(32))
			}
		})
	}
}

func TestDefaultDurability(t *testing.T) {
	require.Equal(t, MemoryOnly, openT(t, "", nil).Durability())
	require.Equal(t, Written, openT(t, newDir(t), nil).Durability())
	require.Equal(t, Written, openT(t, newDir(t), &Options{}).Durability())
	require.Equal(t, "synced", Synced.String())
	require.Equal(t, "Durability(9)", Durability(9).String())
}

// TestMemoryOnlyTouchesNoDisk runs a memory-only store with the working
// directory and TMPDIR pointed at empty directories, and with a file system
// that records every call: nothing may be created, and the file system must
// never be asked anything.
func TestMemoryOnlyTouchesNoDisk(t *testing.T) {
	ctx := t.Context()
	cwd, tmp := t.TempDir(), t.TempDir()
	t.Chdir(cwd)
	t.Setenv("TMPDIR", tmp)
	var calls []string
	spy := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		calls = append(calls, op.String()+" "+name) // memory-only: never called, so no race
		return nil
	}}
	for _, opts := range []*Options{nil, {Durability: MemoryOnly, fs: spy}, {fs: spy}} {
		db, err := Open("", opts)
		require.NoError(t, err)
		require.Equal(t, MemoryOnly, db.Durability())
		require.Equal(t, Recovery{}, db.Recovery())
		require.NoError(t, Set(ctx, db, "k", "v"))
		require.NoError(t, db.SetBytes(ctx, "b", []byte("x")))
		_, err = db.Delete(ctx, "b")
		require.NoError(t, err)
		require.NoError(t, db.Sync(ctx))
		requireContents(t, ctx, db, model{"k": {s: "v"}})
		require.NoError(t, db.Clear(ctx))
		require.NoError(t, db.Close())
	}
	require.Empty(t, calls, "file system calls")
	for _, d := range []string{cwd, tmp} {
		ents, err := os.ReadDir(d)
		require.NoError(t, err)
		require.Empty(t, ents, "files created in %s", d)
	}

	// Each memory-only Open starts empty.
	db := openT(t, "", nil)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestRecoveryAfterReopen(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.Equal(t, Recovery{}, db.Recovery(), "a fresh directory")
	require.NoError(t, Set(ctx, db, "a", "1"))     // 1 record
	require.NoError(t, Set(ctx, db, "a", "2"))     // 2
	require.NoError(t, db.SetBytes(ctx, "b", nil)) // 3
	_, err := db.Delete(ctx, "missing")            // not journaled
	require.NoError(t, err)
	_, err = db.Delete(ctx, "b") // 4
	require.NoError(t, err)
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	require.Equal(t, Recovery{Segments: 1, Records: 4, LastLSN: 4}, db.Recovery())
	require.NoError(t, db.Clear(ctx))          // 5
	require.NoError(t, db.Clear(ctx))          // empty: not journaled
	require.NoError(t, Set(ctx, db, "c", "3")) // 6
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	require.Equal(t, Recovery{Segments: 1, Records: 6, LastLSN: 6}, db.Recovery())
	requireContents(t, ctx, db, model{"c": {s: "3"}})
}

// TestEmptyValuesSurviveReopen: a key with an empty raw value is a key.
func TestEmptyValuesSurviveReopen(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.NoError(t, db.SetBytes(ctx, "nil", nil))
	require.NoError(t, db.SetBytes(ctx, "empty", []byte{}))
	require.NoError(t, Set(ctx, db, "emptystr", ""))
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	requireContents(t, ctx, db, model{"nil": {raw: true}, "empty": {raw: true}, "emptystr": {}})
}

// TestReopenWithSmallerKeyLimit shows what becomes of keys stored under a
// larger MaxKeySize when the store is reopened with a smaller one: they are
// replayed and listed, but Get, Has and Delete refuse them with ErrTooLarge,
// so only Clear removes them.
func TestReopenWithSmallerKeyLimit(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	long := "a-rather-long-key"
	db := openT(t, dir, nil)
	require.NoError(t, Set(ctx, db, long, "v"))
	require.NoError(t, db.Close())

	db = openT(t, dir, &Options{MaxKeySize: 8})
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{long}, keys)
	// The limit binds writes only: a key written under a larger limit
	// stays readable and deletable.
	require.ErrorIs(t, Set(ctx, db, long, "w"), ErrTooLarge)
	v, err := Get[string](ctx, db, long)
	require.NoError(t, err)
	require.Equal(t, "v", v)
	has, err := db.Has(ctx, long)
	require.NoError(t, err)
	require.True(t, has)
	found, err := db.Delete(ctx, long)
	require.NoError(t, err)
	require.True(t, found)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
}
