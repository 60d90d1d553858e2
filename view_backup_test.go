package hurrah

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A View's backup holds the state at the moment the View was taken, with
// deadlines, at the LSN the caller gives, and restores to a store that
// opens at that LSN. Writes after the View are not in it.
func TestViewBackupHoldsTheViewsState(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	at := time.Now().Add(time.Hour).Truncate(time.Nanosecond)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.SetBytes(ctx, "b", []byte("2"), Deadline(at)))
	v, err := db.View(ctx)
	require.NoError(t, err)
	require.NoError(t, db.SetBytes(ctx, "later", []byte("x")))
	_, err = db.Delete(ctx, "a")
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, v.Backup(ctx, &buf, 42))
	require.NoError(t, v.Close())
	dir := newDir(t)
	rep, err := Restore(ctx, dir, &buf, nil)
	require.NoError(t, err)
	require.Equal(t, uint64(42), rep.LSN)
	require.Equal(t, uint64(2), rep.Records)
	got := openT(t, dir, nil)
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, storeContents(t, got))
	exp, err := got.ExpiresAt(ctx, "b")
	require.NoError(t, err)
	require.True(t, exp.Equal(at), "deadline %v, want %v", exp, at)
}

// A closed View writes no backup, and says so.
func TestViewBackupAfterClose(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	v, err := db.View(ctx)
	require.NoError(t, err)
	require.NoError(t, v.Close())
	var buf bytes.Buffer
	require.True(t, errors.Is(v.Backup(ctx, &buf, 1), ErrClosed))
	require.Zero(t, buf.Len())
}
