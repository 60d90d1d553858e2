package journal

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenSegment is a version-1 segment built from fixed contents: a header
// for LSN 7, a frame of three entries (one of them empty), and a zero-entry
// frame like the marker Close writes.
func goldenSegment() []byte {
	data := appendSegmentHeader(nil, 7)
	data = appendFrame(data, 7, segmentHeaderSize, [][]byte{[]byte("alpha"), {}, bytes.Repeat([]byte{0xAB}, 30)})
	return appendFrame(data, 10, uint64(len(data)), nil)
}

// TestGoldenSegmentV1 pins the version-1 byte layout: the encoder must keep
// producing testdata/v1.wal byte for byte, and the decoder must keep reading
// it, so a change to the format cannot pass as a round trip. Rewrite the
// file with -update only together with a new segmentVersion.
func TestGoldenSegmentV1(t *testing.T) {
	path := filepath.Join("testdata", "v1.wal")
	got := goldenSegment()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, got, "the encoder no longer writes format version 1 byte for byte")

	scan, err := scanSegment(path, want, true, 7)
	require.NoError(t, err)
	require.Equal(t, uint64(7), scan.FirstLSN)
	require.Equal(t, int64(-1), scan.TornAt)
	require.Len(t, scan.Entries, 3)
	require.Equal(t, "alpha", string(scan.Entries[0].Data))
	require.Empty(t, scan.Entries[1].Data)
	require.Equal(t, uint64(9), scan.Entries[2].LSN)
	require.Len(t, scan.frames, 2)
	require.Zero(t, scan.frames[1].Entries)

	// A few fixed points of the layout, spelled out.
	require.Equal(t, segmentMagic, string(want[:8]))
	require.Equal(t, []byte{1, 0, 0, 0}, want[8:12], "version, little-endian")
	require.Equal(t, []byte{7, 0, 0, 0, 0, 0, 0, 0}, want[16:24], "first LSN, little-endian")
	require.Equal(t, byte(frameEntries), want[segmentHeaderSize+4], "frame type")
	require.Equal(t, byte(0x83), want[segmentHeaderSize+frameHeaderSize], "payload: CBOR array(3)")
}
