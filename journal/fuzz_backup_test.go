package journal

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBackupReader feeds the backup reader any bytes: it never panics, and
// whatever it accepts, with the empty key allowed or not, is a snapshot
// decodeSnapshot accepts, holding the LSN and count the headers gave; and
// Records accepts exactly what CopySnapshot does, yielding that snapshot's
// records.
func FuzzBackupReader(f *testing.F) {
	var seed bytes.Buffer
	bw, err := NewBackupWriter(&seed, 1, 3, 2)
	require.NoError(f, err)
	require.NoError(f, bw.Add("a", []byte("1")))
	require.NoError(f, bw.Add("", nil))
	_, err = bw.Close()
	require.NoError(f, err)
	f.Add(seed.Bytes(), false)
	f.Add(seed.Bytes(), true)
	f.Add(seed.Bytes()[:BackupHeaderSize+snapshotHeaderSize+3], false)
	var withDeadlines bytes.Buffer // snapshot version 2
	bw, err = NewBackupWriterDeadlines(&withDeadlines, 1, 3, 2)
	require.NoError(f, err)
	require.NoError(f, bw.AddAt("a", []byte("1"), 1<<60))
	require.NoError(f, bw.AddAt("b", nil, -7))
	_, err = bw.Close()
	require.NoError(f, err)
	f.Add(withDeadlines.Bytes(), true)
	f.Add(withDeadlines.Bytes()[:withDeadlines.Len()-20], true)
	f.Fuzz(func(t *testing.T, b []byte, keyRequired bool) {
		br, err := NewBackupReader(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		var out bytes.Buffer
		_, err = br.CopySnapshot(context.Background(), &out, CopyOptions{KeyRequired: keyRequired})
		recs, rerr := readRecords(t, b, keyRequired)
		require.Equal(t, err == nil, rerr == nil, "CopySnapshot: %v, Records: %v", err, rerr)
		if err != nil {
			require.True(t, errors.Is(err, ErrCorrupt), "%v", err)
			require.True(t, errors.Is(rerr, ErrCorrupt), "%v", rerr)
			return
		}
		s, err := decodeSnapshot("fuzz", out.Bytes())
		require.NoError(t, err)
		require.Equal(t, br.Info().LSN, s.LSN)
		require.Equal(t, br.Info().Count, s.Count)
		var want []testRecord
		for k, v := range s.RecordsAt {
			require.False(t, keyRequired && len(k) == 0, "an empty key passed")
			want = append(want, testRecord{string(k), string(v.Value), v.At})
		}
		require.Equal(t, want, recs)
	})
}
