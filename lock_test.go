package hurrah

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLockSameProcess(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.NoError(t, Set(ctx, db, "k", "v"))
	before := snapshotDir(t, dir)

	for _, path := range []string{dir, dir + "/", filepath.Join(dir, ".", "..", "db")} {
		for _, opts := range []*Options{nil, {Durability: Synced}, {Durability: Buffered}} {
			db2, err := Open(path, opts)
			require.ErrorIs(t, err, ErrLocked, "second Open of %s", path)
			// Said for the person who reads it: no "locked by another journal".
			require.ErrorContains(t, err, "the directory is locked: another process (or another Open in this one) has the store open")
			require.Nil(t, db2)
		}
	}
	// The failed Opens disturbed neither the holder nor the files.
	requireSameDir(t, before, dir)
	require.NoError(t, Set(ctx, db, "k2", "v2"))
	requireContents(t, ctx, db, model{"k": {s: "v"}, "k2": {s: "v2"}})

	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	requireContents(t, ctx, db, model{"k": {s: "v"}, "k2": {s: "v2"}})
	require.NoError(t, db.Close())

	// And once more: each Close releases the lock.
	db = openT(t, dir, nil)
	require.NoError(t, db.Close())
}

// TestLockOtherProcess re-executes the test binary as a child that tries to
// open a directory this process holds.
func TestLockOtherProcess(t *testing.T) {
	dir := newDir(t)
	db := openT(t, dir, nil)
	require.NoError(t, Set(t.Context(), db, "k", "v"))

	child := func() string {
		out, err := helperCmd(t.Context(), "lock", "HURRAH_DIR="+dir).Output()
		require.NoError(t, err, "child: %s", out)
		return strings.TrimSpace(string(out))
	}
	require.Equal(t, "LOCKED", child(), "while this process holds the directory")

	require.NoError(t, db.Close())
	require.Equal(t, "OK", child(), "after Close")
	// The child closed it again, so it opens here.
	db = openT(t, dir, nil)
	requireContents(t, t.Context(), db, model{"k": {s: "v"}})
}
