package hurrah

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A System's image holds the State at the moment it was taken, at the LSN
// the caller gives; OpenSystemBackup opens a memory-only System holding
// it, that then takes commands. Commands after the image are not in it.
func TestSystemImageRoundTrip(t *testing.T) {
	ctx := context.Background()
	sys, err := OpenSystem[bank, bankCmd]("", nil, nil)
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 7}))
	img, err := sys.Image(ctx)
	require.NoError(t, err)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 100}))

	var buf bytes.Buffer
	require.NoError(t, img.Backup(ctx, &buf, 42))
	got, lsn, err := OpenSystemBackup[bank, bankCmd](ctx, bytes.NewReader(buf.Bytes()), nil)
	require.NoError(t, err)
	defer got.Close()
	require.Equal(t, uint64(42), lsn)
	balance := func(s *System[bank, bankCmd]) int {
		n, err := Query(ctx, s, func(b *bank) int { return b.Accounts["ada"] })
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 7, balance(got))
	require.NoError(t, got.Commit(ctx, bankCmd{Op: "deposit", To: "ada", Amount: 1}))
	require.Equal(t, 8, balance(got))
	require.Equal(t, 107, balance(sys))

	// The same stream restores to a directory OpenSystem opens.
	dir := newDir(t)
	rep, err := Restore(ctx, dir, bytes.NewReader(buf.Bytes()), nil)
	require.NoError(t, err)
	require.True(t, rep.System)
	ondisk, err := OpenSystem[bank, bankCmd](dir, nil, nil)
	require.NoError(t, err)
	defer ondisk.Close()
	require.Equal(t, 7, balance(ondisk))
}

// A damaged or truncated System backup, a DB's, a State of another type,
// or options with a directory's durability open nothing, each with its
// error.
func TestOpenSystemBackupRefusals(t *testing.T) {
	ctx := context.Background()
	sys, err := OpenSystem[bank, bankCmd]("", nil, nil)
	require.NoError(t, err)
	defer sys.Close()
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "ada"}))
	img, err := sys.Image(ctx)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, img.Backup(ctx, &buf, 1))
	good := buf.Bytes()
	for _, b := range [][]byte{nil, good[:len(good)/2], good[:len(good)-1]} {
		_, _, err := OpenSystemBackup[bank, bankCmd](ctx, bytes.NewReader(b), nil)
		require.ErrorIs(t, err, ErrCorrupt)
	}
	for off := range good {
		b := bytes.Clone(good)
		b[off] ^= 0x20
		_, _, err := OpenSystemBackup[bank, bankCmd](ctx, bytes.NewReader(b), nil)
		require.ErrorIs(t, err, ErrCorrupt, "byte %d flipped", off)
	}
	_, _, err = OpenSystemBackup[bank, bankCmd](ctx, bytes.NewReader(good), &Options{Durability: Synced})
	require.ErrorIs(t, err, ErrInvalidOptions)
	_, _, err = OpenSystemBackup[int, addOne](ctx, bytes.NewReader(good), nil)
	require.ErrorIs(t, err, ErrCorrupt, "a State of another type")

	db := openT(t, "", nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	buf.Reset()
	_, err = db.Backup(ctx, &buf)
	require.NoError(t, err)
	_, _, err = OpenSystemBackup[bank, bankCmd](ctx, &buf, nil)
	require.ErrorIs(t, err, ErrBadInput)
}

// A closed System takes no image.
func TestSystemImageAfterClose(t *testing.T) {
	sys, err := OpenSystem[bank, bankCmd]("", nil, nil)
	require.NoError(t, err)
	require.NoError(t, sys.Close())
	_, err = sys.Image(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

// addOne is the Command of a System whose State is an int.
type addOne struct{}

func (addOne) Apply(n *int) error { *n++; return nil }
