package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A backup whose first value length is damaged, claiming more than the
// rest of the stream (64 MiB here), is refused by CopySnapshot with
// ErrCorrupt without holding that rest in memory: Restore copies a
// backup of any size to disk a buffer at a time, however long a record
// it claims. (Records, loading a store in memory, holds a whole record.)
func TestCopySnapshotLongRecordBounded(t *testing.T) {
	good, _ := testBackup(t, [][2]string{{"k", "v"}}, false)
	at := BackupHeaderSize + snapshotHeaderSize + 2 // the value's length
	head := binary.AppendUvarint(bytes.Clone(good[:at]), 1<<40)
	const rest = 64 << 20
	br, err := NewBackupReader(io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, rest)), "b")
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := br.CopySnapshot(context.Background(), io.Discard, CopyOptions{})
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Zero(t, n)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(rest/4), "bytes allocated")
}

// CopySnapshot copies a backup with records longer than the step take
// reads in (which it passes on as they come) byte for byte as the
// snapshot it holds, and refuses it damaged in the middle of one.
func TestCopySnapshotLongRecords(t *testing.T) {
	recs := [][2]string{
		{"a", "1"},
		{"big", strings.Repeat("x", 3<<20+5)},
		{strings.Repeat("k", 1<<20+3), "key longer than a step"},
		{"b", strings.Repeat("y", 1<<20)},
		{"c", ""},
	}
	for _, deadlines := range []bool{false, true} {
		good, _ := testBackup(t, recs, deadlines)
		copyOf := func(b []byte) ([]byte, error) {
			br, err := NewBackupReader(bytes.NewReader(b), "b")
			require.NoError(t, err)
			var out bytes.Buffer
			n, err := br.CopySnapshot(context.Background(), &out, CopyOptions{})
			if err == nil {
				require.Equal(t, int64(out.Len()), n)
			}
			return out.Bytes(), err
		}
		got, err := copyOf(good)
		require.NoError(t, err)
		require.Equal(t, good[BackupHeaderSize:], got)
		for _, off := range []int{len(good) / 3, len(good) / 2, len(good) - 100} {
			b := bytes.Clone(good)
			b[off] ^= 0x41
			_, err := copyOf(b)
			require.ErrorIs(t, err, ErrCorrupt, "byte %d", off)
		}
	}
}

// failWriter takes the first write (the snapshot header) and fails
// every later one with err.
type failWriter struct {
	err  error
	took bool
}

func (w *failWriter) Write(p []byte) (int, error) {
	if !w.took {
		w.took = true
		return len(p), nil
	}
	return 0, w.err
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A write CopySnapshot's destination refuses (a full disk) ends the copy
// soon after, with that error: it does not read the rest of the backup
// (here 8 MiB, in records and in one long one) first.
func TestCopySnapshotStopsAtWriteError(t *testing.T) {
	errFull := errors.New("disk full")
	many := make([][2]string, 0, 8<<10)
	for i := range cap(many) {
		many = append(many, [2]string{fmt.Sprint("key", i), strings.Repeat("v", 1<<10)})
	}
	for name, recs := range map[string][][2]string{
		"many": many,
		"long": {{"k", strings.Repeat("x", 8<<20)}},
	} {
		good, _ := testBackup(t, recs, false)
		in := &countReader{r: bytes.NewReader(good)}
		br, err := NewBackupReader(in, "b")
		require.NoError(t, err)
		_, err = br.CopySnapshot(context.Background(), &failWriter{err: errFull}, CopyOptions{})
		require.ErrorIs(t, err, errFull, name)
		require.Less(t, in.n, len(good)/2, "%s: bytes read", name)
	}
}
