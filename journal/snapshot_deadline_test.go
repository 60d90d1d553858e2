package journal

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSnapshotGoldenV2 pins the version-2 byte layout: each record ends
// with its deadline, a zigzag varint.
func TestSnapshotGoldenV2(t *testing.T) {
	const want = "485552534e415000" + "02000000" + "00000000" + // magic, version 2, zero
		"0700000000000000" + "0200000000000000" + // LSN 7, 2 records
		"%s" + "00000000" + // header CRC, zero
		"0161" + "0162" + "00" + // "a" -> "b", no deadline
		"016b" + "00" + "e807" // "k" -> "", deadline 500 (zigzag 1000)
	recs := []snapRec{{key: []byte("a"), value: []byte("b")}, {key: []byte("k"), value: []byte{}, at: 500}}
	got, _, err := buildSnapshot(7, recs)
	require.NoError(t, err)
	h := hex.EncodeToString(got)
	require.Equal(t, want[:64], h[:64])
	require.Equal(t, want[66:], h[72:len(h)-32])
	s, err := decodeSnapshot("golden", got)
	require.NoError(t, err)
	require.True(t, s.Deadlines)
	var ats []int64
	for _, v := range s.RecordsAt {
		ats = append(ats, v.At)
	}
	require.Equal(t, []int64{0, 500}, ats)
	require.Equal(t, []rec{{"a", "b"}, {"k", ""}}, records(s))
}

// TestSnapshotWithoutDeadlinesStaysV1: a writer not asked for deadlines
// writes version 1, which older builds read, and refuses a deadline.
func TestSnapshotWithoutDeadlinesStaysV1(t *testing.T) {
	got, _, err := buildSnapshot(3, []snapRec{{key: []byte("a"), value: []byte("b")}})
	require.NoError(t, err)
	require.Equal(t, uint32(1), le.Uint32(got[8:12]))
	_, _, err = buildSnapshotV(3, []snapRec{{key: []byte("a"), at: 5}}, false)
	require.Error(t, err)
}

// TestSnapshotV2BadDeadline checks that a version-2 body whose deadline is
// missing or cut short is corrupt at the record.
func TestSnapshotV2BadDeadline(t *testing.T) {
	for name, body := range map[string][]byte{
		"missing":  {1, 'k', 0},
		"cut":      {1, 'k', 0, 0x80},
		"overflow": append([]byte{1, 'k', 0}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
	} {
		_, err := decodeSnapshot("f", forgeSnapshotV(2, 5, 1, body))
		var ce *CorruptError
		require.ErrorAs(t, err, &ce, name)
		require.Equal(t, int64(snapshotHeaderSize), ce.Offset, name)
	}
}
