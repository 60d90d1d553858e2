package hurrah

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// OpenBackup gives a memory-only store holding the backup's keys, values
// and deadlines, at its LSN, that then takes writes.
func TestOpenBackupHoldsTheBackup(t *testing.T) {
	ctx := context.Background()
	src := openT(t, newDir(t), nil)
	at := time.Now().Add(time.Hour).Truncate(time.Nanosecond)
	require.NoError(t, src.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, src.SetBytes(ctx, "b", []byte("2"), Deadline(at)))
	var buf bytes.Buffer
	lsn, err := src.Backup(ctx, &buf)
	require.NoError(t, err)

	db, got, err := OpenBackup(ctx, &buf, nil)
	require.NoError(t, err)
	defer db.Close()
	require.Equal(t, lsn, got)
	require.Equal(t, MemoryOnly, db.Durability())
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, storeContents(t, db))
	exp, err := db.ExpiresAt(ctx, "b")
	require.NoError(t, err)
	require.True(t, exp.Equal(at))
	require.NoError(t, db.SetBytes(ctx, "c", []byte("3")))
	_, err = db.Delete(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"b": "2", "c": "3"}, storeContents(t, db))
}

// A damaged or truncated backup, a System's, or options with a directory's
// durability open nothing, each with its error.
func TestOpenBackupRefusals(t *testing.T) {
	ctx := context.Background()
	src := openT(t, "", nil)
	for i := range 50 {
		require.NoError(t, src.SetBytes(ctx, string(rune('a'+i%26))+string(rune('0'+i/26)), bytes.Repeat([]byte{byte(i)}, 30)))
	}
	var buf bytes.Buffer
	_, err := src.Backup(ctx, &buf)
	require.NoError(t, err)
	good := buf.Bytes()
	for _, b := range [][]byte{nil, good[:len(good)/2], good[:len(good)-1]} {
		_, _, err := OpenBackup(ctx, bytes.NewReader(b), nil)
		require.ErrorIs(t, err, ErrCorrupt)
	}
	for _, off := range []int{3, 40, len(good) / 2, len(good) - 2} {
		b := bytes.Clone(good)
		b[off] ^= 0x20
		_, _, err := OpenBackup(ctx, bytes.NewReader(b), nil)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d flipped", off)
	}
	_, _, err = OpenBackup(ctx, bytes.NewReader(good), &Options{Durability: Synced})
	require.ErrorIs(t, err, ErrInvalidOptions)

	sys, err := OpenSystem[bank, bankCmd]("", func() bank { return bank{} }, nil)
	require.NoError(t, err)
	defer sys.Close()
	buf.Reset()
	_, err = sys.Backup(ctx, &buf)
	require.NoError(t, err)
	_, _, err = OpenBackup(ctx, &buf, nil)
	require.ErrorIs(t, err, ErrBadInput)
}
