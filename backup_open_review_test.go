package hurrah

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// A hand-made DB backup holding the empty key, every checksum right,
// returns ErrCorrupt and no store, as Open refuses such a snapshot.
func TestOpenBackupEmptyKey(t *testing.T) {
	b := handMadeBackup(2, [][2]string{{"a", "1"}, {"", "2"}})
	db, lsn, err := OpenBackup(context.Background(), bytes.NewReader(b), nil)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Nil(t, db)
	require.Zero(t, lsn)
}

// readUntil reads r, and after n bytes either cancels (cancel set) or
// fails every read with errRead.
type readUntil struct {
	r      io.Reader
	n      int
	cancel func()
}

var errRead = errors.New("read failed")

func (c *readUntil) Read(p []byte) (int, error) {
	if c.n <= 0 {
		if c.cancel == nil {
			return 0, errRead
		}
		c.cancel()
	}
	n, err := c.r.Read(p[:min(len(p), max(c.n, 1))])
	c.n -= n
	return n, err
}

// A read that fails, or a context that ends, in the middle of a backup's
// records (20,000 of them, several progress steps) returns that error and
// no store; goleak (TestMain) finds no goroutine of the half-loaded one.
func TestOpenBackupStopsMidStream(t *testing.T) {
	ctx := context.Background()
	src := openT(t, "", nil)
	for i := range 20_000 {
		require.NoError(t, src.SetBytes(ctx, fmt.Sprint("key-", i), []byte(fmt.Sprint(i))))
	}
	var buf bytes.Buffer
	_, err := src.Backup(ctx, &buf)
	require.NoError(t, err)
	for _, at := range []int{buf.Len() / 3, buf.Len() - 20} {
		db, _, err := OpenBackup(ctx, &readUntil{r: bytes.NewReader(buf.Bytes()), n: at}, nil)
		require.ErrorIs(t, err, errRead, "read fails at %d", at)
		require.Nil(t, db)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	db, _, err := OpenBackup(cctx, &readUntil{r: bytes.NewReader(buf.Bytes()), n: buf.Len() / 3, cancel: cancel}, nil)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, db)
}

// systemBackupOf returns a System backup, every checksum right, whose
// one record is state.
func systemBackupOf(state []byte) []byte {
	b := handMadeBackup(1, [][2]string{{"", string(state)}})
	binary.LittleEndian.PutUint32(b[12:16], backupSystem)
	binary.LittleEndian.PutUint32(b[16:20], crc32.Checksum(b[:16], castagnoli))
	return b
}

// OpenSystemBackup decodes the State before the trailer is checked, so
// its decoder meets hostile CBOR whatever the checksums say: nesting past
// its limit, lengths past the data, each returns ErrCorrupt (and ErrDecode),
// without a panic, into a struct State or into any. (A chain of tags just
// under the limit decodes, in time quadratic in its length, inside the
// CBOR library: about 7 s for 65,535 tags, so it is not tried here.)
func TestOpenSystemBackupHostileState(t *testing.T) {
	huge := []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for name, st := range map[string][]byte{
		"arrays too deep":  append(bytes.Repeat([]byte{0x81}, 2*maxCBORDepth), 0),
		"maps too deep":    append(bytes.Repeat([]byte{0xa1, 0x00}, 2*maxCBORDepth), 0),
		"tags too deep":    append(bytes.Repeat([]byte{0xc6}, 2*maxCBORDepth), 0),
		"open arrays":      bytes.Repeat([]byte{0x9f}, 2*maxCBORDepth),
		"a huge array":     append([]byte{0x9b}, huge...),
		"a huge map":       append([]byte{0xbb}, huge...),
		"a huge string":    append([]byte{0x5b}, huge...),
		"cut short":        {0xa1, 0x68, 'A', 'c', 'c'},
		"two values":       {0xa0, 0xa0},
		"a reserved byte":  {0x1c},
		"a break alone":    {0xff},
		"an invalid float": {0xf9},
	} {
		_, _, err := OpenSystemBackup[bank, bankCmd](context.Background(), bytes.NewReader(systemBackupOf(st)), nil)
		require.ErrorIs(t, err, ErrCorrupt, name)
		require.ErrorIs(t, err, ErrDecode, name)
		_, _, err = OpenSystemBackup[any, anyCmd](context.Background(), bytes.NewReader(systemBackupOf(st)), nil)
		require.ErrorIs(t, err, ErrCorrupt, "%s, into any", name)
	}
}

// anyCmd is a command on a State of any type; it changes nothing.
type anyCmd struct{}

func (anyCmd) Apply(*any) error { return nil }
