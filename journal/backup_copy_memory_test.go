package journal

import (
	"bytes"
	"context"
	"encoding/binary"
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
