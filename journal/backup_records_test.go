package journal

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testRecord is a record as Records yields it, copied.
type testRecord struct {
	key, value string
	at         int64
}

// readRecords reads the backup b with Records and returns what it yielded,
// or its error.
func readRecords(t testing.TB, b []byte, keyRequired bool) ([]testRecord, error) {
	br, err := NewBackupReader(bytes.NewReader(b), "b")
	if err != nil {
		return nil, err
	}
	var got []testRecord
	err = br.Records(context.Background(), CopyOptions{KeyRequired: keyRequired}, func(k, v []byte, at int64) bool {
		got = append(got, testRecord{string(k), string(v), at})
		return true
	})
	if err == nil {
		require.Error(t, br.Records(context.Background(), CopyOptions{}, nil), "a second reading")
	}
	return got, err
}

// testBackup returns a backup of recs, with deadlines (i<<40, and -i<<40
// for odd i) if deadlines is set.
func testBackup(t testing.TB, recs [][2]string, deadlines bool) ([]byte, []testRecord) {
	var buf bytes.Buffer
	create := NewBackupWriter
	if deadlines {
		create = NewBackupWriterDeadlines
	}
	bw, err := create(&buf, 2, 11, uint64(len(recs)))
	require.NoError(t, err)
	var want []testRecord
	for i, r := range recs {
		at := int64(0)
		if deadlines {
			at = int64(i) * (1 - 2*int64(i%2)) << 40
		}
		require.NoError(t, bw.AddAt(r[0], []byte(r[1]), at))
		want = append(want, testRecord{r[0], r[1], at})
	}
	_, err = bw.Close()
	require.NoError(t, err)
	return buf.Bytes(), want
}

// Records yields a backup's records, keys, values and deadlines, in order,
// with and without deadlines, and refuses the empty key when asked to; a
// yield that stops it gives ErrStopped.
func TestBackupRecords(t *testing.T) {
	for _, deadlines := range []bool{false, true} {
		b, want := testBackup(t, backupRecords, deadlines)
		got, err := readRecords(t, b, false)
		require.NoError(t, err)
		require.Equal(t, want, got)
		_, err = readRecords(t, b, true)
		require.ErrorIs(t, err, ErrCorrupt, "the empty key")

		br, err := NewBackupReader(bytes.NewReader(b), "b")
		require.NoError(t, err)
		require.Equal(t, deadlines, br.Info().Deadlines)
		n := 0
		err = br.Records(context.Background(), CopyOptions{}, func(k, v []byte, at int64) bool {
			n++
			return n < 2
		})
		require.ErrorIs(t, err, ErrStopped)
		require.Equal(t, 2, n)
	}
}

// A backup damaged at any byte after its headers, or cut short at any
// length, is refused by Records with ErrCorrupt, as by CopySnapshot. (A
// damaged header NewBackupReader refuses: backup_test.go.) With a value of
// more than 1 MiB (read in steps: take) it tries every 65537th byte.
func TestBackupRecordsDamage(t *testing.T) {
	small := [][2]string{{"a", "1"}, {"key", ""}, {"k2", strings.Repeat("y", 200)}}
	big := append(small, [2]string{"big", strings.Repeat("x", 3<<20)})
	for _, c := range []struct {
		recs      [][2]string
		deadlines bool
		step      int
	}{{small, false, 1}, {small, true, 1}, {big, false, 65537}, {big, true, 65537}} {
		good, _ := testBackup(t, c.recs, c.deadlines)
		for off := BackupHeaderSize + snapshotHeaderSize; off < len(good); off += c.step {
			b := bytes.Clone(good)
			b[off] ^= 0x41
			_, err := readRecords(t, b, false)
			require.ErrorIs(t, err, ErrCorrupt, "byte %d", off)
		}
		for n := BackupHeaderSize + snapshotHeaderSize; n < len(good); n += c.step {
			_, err := readRecords(t, good[:n], false)
			require.ErrorIs(t, err, ErrCorrupt, "cut at %d", n)
		}
		_, err := readRecords(t, append(bytes.Clone(good), 0), false)
		require.ErrorIs(t, err, ErrCorrupt, "a byte too many")
	}
}

// Records stops at its context's end.
func TestBackupRecordsContext(t *testing.T) {
	var buf bytes.Buffer
	bw, err := NewBackupWriter(&buf, 1, 1, 3*progressEvery)
	require.NoError(t, err)
	for i := range 3 * progressEvery {
		require.NoError(t, bw.Add(string(rune('a'+i%26))+string(rune(i)), nil))
	}
	_, err = bw.Close()
	require.NoError(t, err)
	br, err := NewBackupReader(bytes.NewReader(buf.Bytes()), "b")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = br.Records(ctx, CopyOptions{}, func(k, v []byte, at int64) bool {
		if n++; n == progressEvery+1 {
			cancel()
		}
		return true
	})
	require.ErrorIs(t, err, context.Canceled)
	require.LessOrEqual(t, n, 2*progressEvery)
}
