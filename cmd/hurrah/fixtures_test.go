package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// The stores the tests of the newer commands run on. Damage is done by
// file offsets, not through the journal's own framing, so that the tests
// stay put when the journal's internals change.

// user is a value kept as CBOR, which the command line shows as JSON.
type user struct {
	Name  string
	Age   int
	Tags  []string
	Since time.Time
}

// kvStore writes a store holding values of every kind the command line
// shows differently and returns its directory.
func kvStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	defer db.Close()
	ctx := t.Context()
	require.NoError(t, hurrah.Set(ctx, db, "user:1", user{"Ann <&>", 30, []string{"a"}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}))
	require.NoError(t, hurrah.Set(ctx, db, "user:2", user{Name: "Bo"}))
	require.NoError(t, hurrah.Set(ctx, db, "count", 42))
	require.NoError(t, hurrah.Set(ctx, db, "ids", map[int]string{1: "x"})) // CBOR, but no JSON object
	require.NoError(t, db.SetBytes(ctx, "raw", []byte("hello")))
	require.NoError(t, db.SetBytes(ctx, "empty", nil))
	require.NoError(t, db.SetBytes(ctx, "bin\xffkey", []byte{0xff}))
	require.NoError(t, db.SetBytes(ctx, "two words", []byte{0xf6})) // CBOR null
	require.NoError(t, db.Close())
	return dir
}

// flipStore writes a store over several segments and flips a byte in the
// middle of a middle segment: damage to durable records. It returns the
// directory and that segment.
func flipStore(t *testing.T) (string, string) {
	t.Helper()
	dir, segs := newStore(t, 60)
	seg := segs[len(segs)/2]
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	b[len(b)/2] ^= 0x20
	require.NoError(t, os.WriteFile(seg, b, 0o600))
	return dir, seg
}

// truncStore writes a store over several segments and cuts a middle
// segment in half.
func truncStore(t *testing.T) (string, string) {
	t.Helper()
	dir, segs := newStore(t, 60)
	seg := segs[len(segs)/2]
	fi, err := os.Stat(seg)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(seg, fi.Size()/2))
	return dir, seg
}

// lostSnapshotStore writes a store whose journal a snapshot compacted,
// then deletes the snapshot: the records it held are nowhere.
func lostSnapshotStore(t *testing.T) string {
	t.Helper()
	dir, _ := snapStore(t, 40, nil, 30)
	snaps, err := filepath.Glob(filepath.Join(dir, "*.hsnap"))
	require.NoError(t, err)
	require.Len(t, snaps, 1)
	require.NoError(t, os.Remove(snaps[0]))
	return dir
}

// counter and add make a System.
type counter struct{ N int }

type add struct{ By int }

func (a add) Apply(c *counter) error { c.N += a.By; return nil }

// systemStore writes a System with n commands.
func systemStore(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sys")
	sys, err := hurrah.OpenSystem[counter, add](dir, nil, nil)
	require.NoError(t, err)
	defer sys.Close()
	for range n {
		require.NoError(t, sys.Commit(t.Context(), add{By: 1}))
	}
	require.NoError(t, sys.Close())
	return dir
}

// listing returns the names of the files in dir, sorted, or nil if dir
// does not exist.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// lines splits output into its lines.
func lines(out string) []string {
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}
