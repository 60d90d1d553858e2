package journal

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/testkit"
)

// TestTestkitFormat pins internal/testkit's reading and writing of the
// format, which the tests outside this package use to build files and to
// damage them at a chosen place, to this package's own: the same sizes and
// names, and the same bytes for the same segment.
func TestTestkitFormat(t *testing.T) {
	require.Equal(t, segmentHeaderSize, testkit.SegmentHeaderSize)
	require.Equal(t, frameHeaderSize, testkit.FrameHeaderSize)
	require.Equal(t, snapshotHeaderSize, testkit.SnapshotHeaderSize)
	for _, lsn := range []uint64{0, 1, 12345, 1<<64 - 1} {
		require.Equal(t, snapshotName(lsn), testkit.SnapshotName(lsn))
	}

	frames := []struct {
		first, synced uint64
		entries       [][]byte
	}{
		{1, segmentHeaderSize, [][]byte{[]byte("a")}},
		{2, 40, nil},
		{2, 300, [][]byte{{}, nil, bytes.Repeat([]byte{7}, 23), bytes.Repeat([]byte{8}, 24), bytes.Repeat([]byte{9}, 256)}},
		{1 << 40, 1 << 33, make([][]byte, 30)},
	}
	ours := appendSegmentHeader(nil, 1)
	kit := testkit.AppendSegmentHeader(nil, 1)
	require.Equal(t, ours, kit, "segment header")
	for _, f := range frames {
		ours = appendFrame(ours, f.first, f.synced, f.entries)
		kit = testkit.AppendFrame(kit, f.first, f.synced, f.entries)
		require.Equal(t, ours, kit, "frame %d %d %d entries", f.first, f.synced, len(f.entries))
	}

	got, err := testkit.Frames(ours)
	require.NoError(t, err)
	require.Len(t, got, len(frames))
	off := segmentHeaderSize
	for i, g := range got {
		f, n, err := decodeFrame(ours[off:])
		require.NoError(t, err)
		require.Equal(t, int64(off), g.Off)
		require.Equal(t, f.FirstLSN, g.FirstLSN)
		require.Equal(t, f.Synced, g.Synced)
		require.Len(t, g.Entries, len(f.Entries), "frame %d", i)
		for j := range f.Entries {
			require.True(t, bytes.Equal(f.Entries[j], g.Entries[j]), "frame %d entry %d", i, j)
		}
		off += n
	}
	_, err = testkit.Frames(ours[:len(ours)-1])
	require.Error(t, err, "a segment cut short")
}
