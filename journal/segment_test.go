package journal

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScanSegment(t *testing.T) {
	clean := segmentImage(1, segmentHeaderSize, entries(1, 3), entries(4, 4), entries(5, 6))
	offs := frameOffsets(t, clean)
	end := int64(len(clean))
	// synced is the image with a fourth frame recording an fsync beyond
	// every earlier frame.
	synced := appendFrame(bytes.Clone(clean), 7, uint64(end), [][]byte{payload(7)})
	gap := segmentImage(1, segmentHeaderSize, entries(1, 2), entries(4, 4))
	gapAt := frameOffsets(t, gap)[1]
	flipAt := func(img []byte, off int64) []byte {
		b := bytes.Clone(img)
		b[off] ^= 0x01
		return b
	}
	tests := []struct {
		name      string
		file      string
		data      []byte
		last      bool
		expect    uint64
		wantN     uint64 // entries 1..wantN come back
		tornAt    int64
		corruptAt int64 // >= 0: a *CorruptError at this offset
		wantErr   error
	}{
		{name: "clean", data: clean, wantN: 6, tornAt: -1, corruptAt: -1},
		{name: "clean last", data: clean, last: true, wantN: 6, tornAt: -1, corruptAt: -1},
		{name: "expect matches", data: clean, expect: 1, wantN: 6, tornAt: -1, corruptAt: -1},
		{name: "header only", data: clean[:segmentHeaderSize], wantN: 0, tornAt: -1, corruptAt: -1},
		{name: "expect differs", data: clean, expect: 2, corruptAt: 0},
		{name: "name differs", file: "/d/00000000000000000002.wal", data: clean, corruptAt: 0},
		{name: "name matches", file: "/d/00000000000000000001.wal", data: clean, wantN: 6, tornAt: -1, corruptAt: -1},
		{name: "cut frame, not last", data: clean[:end-1], corruptAt: offs[2]},
		{name: "cut frame, last", data: clean[:end-1], last: true, wantN: 4, tornAt: offs[2], corruptAt: -1},
		{name: "flip, last, nothing synced after", data: flipAt(clean, offs[1]+frameHeaderSize), last: true, wantN: 3, tornAt: offs[1], corruptAt: -1},
		{name: "flip, last, synced after", data: flipAt(synced, offs[1]+frameHeaderSize), last: true, corruptAt: offs[1]},
		{name: "flip in header, last, synced after", data: flipAt(synced, offs[1]+1), last: true, corruptAt: offs[1]},
		{name: "flip in last frame", data: flipAt(synced, offs[3]+frameHeaderSize), last: true, wantN: 6, tornAt: offs[3], corruptAt: -1},
		{name: "torn header, last", data: clean[:segmentHeaderSize-1], last: true, wantN: 0, tornAt: 0, corruptAt: -1},
		{name: "torn header, not last", data: clean[:segmentHeaderSize-1], corruptAt: 0},
		{name: "damaged header before frames", data: flipAt(clean, 20), last: true, corruptAt: 0},
		{name: "zero file, last", data: make([]byte, 100), last: true, wantN: 0, tornAt: 0, corruptAt: -1},
		{name: "frame LSN gap", data: gap, last: true, corruptAt: gapAt},
		{name: "invalid frame, last", data: append(bytes.Clone(clean), rawFrame(2, []byte("??"))...), last: true, corruptAt: end},
		{name: "newer version", data: func() []byte {
			b := bytes.Clone(clean)
			le.PutUint32(b[8:12], 2)
			le.PutUint32(b[28:32], checksum(b[:28]))
			return b
		}(), last: true, wantErr: ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if file == "" {
				file = "/d/seg"
			}
			before := bytes.Clone(tt.data)
			scan, err := scanSegment(file, tt.data, tt.last, tt.expect)
			require.Equal(t, before, tt.data, "scanSegment changed its input")
			switch {
			case tt.wantErr != nil:
				require.ErrorIs(t, err, tt.wantErr)
				require.NotErrorIs(t, err, ErrCorrupt)
			case tt.corruptAt >= 0:
				require.ErrorIs(t, err, ErrCorrupt)
				var ce *CorruptError
				require.True(t, errors.As(err, &ce))
				require.Equal(t, file, ce.File)
				require.Equal(t, tt.corruptAt, ce.Offset)
				require.Contains(t, err.Error(), file)
			default:
				require.NoError(t, err)
				require.Equal(t, tt.tornAt, scan.TornAt)
				if tt.tornAt != 0 {
					require.Equal(t, uint64(1), scan.FirstLSN)
				}
				requireEntries(t, 1, tt.wantN, scan.Entries)
			}
		})
	}
}

func TestSyncedBeyondIgnoresFramesClaimingTheFuture(t *testing.T) {
	// A frame that records an fsync beyond its own offset cannot be real
	// (an entry may hold such bytes), so it does not make damage before it
	// corruption.
	img := segmentImage(1, segmentHeaderSize, entries(1, 1), entries(2, 2))
	offs := frameOffsets(t, img)
	img = appendFrame(img, 3, 1<<40, [][]byte{payload(3)})
	img[offs[1]+frameHeaderSize] ^= 0xff
	scan, err := scanSegment("seg", img, true, 0)
	require.NoError(t, err)
	require.Equal(t, offs[1], scan.TornAt)
	requireEntries(t, 1, 1, scan.Entries)
}

func TestParseSegmentName(t *testing.T) {
	tests := []struct {
		name string
		lsn  uint64
		ok   bool
	}{
		{"00000000000000000001.wal", 1, true},
		{"18446744073709551615.wal", 1<<64 - 1, true},
		{"18446744073709551616.wal", 0, false},
		{"0000000000000000001.wal", 0, false},
		{"000000000000000000001.wal", 0, false},
		{"00000000000000000001.wal.0.torn", 0, false},
		{"0000000000000000000a.wal", 0, false},
		{"+0000000000000000001.wal", 0, false},
		{"00000000000000000001.WAL", 0, false},
		{"LOCK", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lsn, ok := parseSegmentName(tt.name)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.lsn, lsn)
			if ok {
				require.Equal(t, tt.name, segmentName(lsn))
			}
		})
	}
}

// TestManyUnsyncedFramesAfterDamageAreTorn: after a power loss, pages written
// after the last fsync may persist in any order, so damage can be followed by
// any number of valid frames that record no fsync beyond it. However many
// there are, that is a torn tail, not corruption: only frames failing
// verification count towards the search's bound on forged candidates.
func TestManyUnsyncedFramesAfterDamageAreTorn(t *testing.T) {
	data := appendSegmentHeader(nil, 1)
	data = appendFrame(data, 1, segmentHeaderSize, [][]byte{[]byte("a")})
	x := len(data)
	data = appendFrame(data, 2, segmentHeaderSize, [][]byte{[]byte("lost")})
	data[x+1] ^= 0x40 // the lost page: the frame header no longer verifies
	for i := range 3 * maxForgedCandidates {
		data = appendFrame(data, uint64(3+i), segmentHeaderSize, [][]byte{[]byte("unsynced")})
	}
	scan, err := scanSegment("00000000000000000001.wal", data, true, 1)
	require.NoError(t, err)
	require.Equal(t, int64(x), scan.TornAt)
	require.Len(t, scan.Entries, 1)

	// The same frames recording an fsync beyond the damage prove it hit
	// durable data.
	y := len(data)
	data = appendFrame(data, uint64(3+3*maxForgedCandidates), uint64(y), [][]byte{[]byte("synced")})
	_, err = scanSegment("00000000000000000001.wal", data, true, 1)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, int64(x), ce.Offset)
}

// TestScanCandidates checks the search that recovery (syncedBeyond) and
// Repair (highestLSN) share: it finds the frames that verify, in order,
// never one inside another's extent, stops when told to, and gives up after
// maxForgedCandidates headers that verify over payloads that do not.
func TestScanCandidates(t *testing.T) {
	inner := appendFrame(nil, 9, segmentHeaderSize, [][]byte{[]byte("inside")})
	data := appendSegmentHeader(nil, 1)
	data = append(data, "junk"...)
	a := int64(len(data))
	data = appendFrame(data, 1, segmentHeaderSize, [][]byte{inner}) // holds a frame image
	b := int64(len(data))
	data = appendFrame(data, 2, segmentHeaderSize, [][]byte{[]byte("b")})

	found := func(data []byte, start int64, stopAt int) ([]int64, bool) {
		var offs []int64
		exhausted := scanCandidates(data, start, func(off int64, f decodedFrame) bool {
			offs = append(offs, off)
			return len(offs) == stopAt
		})
		return offs, exhausted
	}
	offs, exhausted := found(data, 0, -1)
	require.False(t, exhausted)
	require.Equal(t, []int64{a, b}, offs, "the image inside the first frame is skipped")
	offs, _ = found(data, a+1, -1)
	require.Len(t, offs, 2, "from inside the first frame, the image is a frame")
	require.Greater(t, offs[0], a)
	require.Equal(t, b, offs[1])
	offs, exhausted = found(data, 0, 1)
	require.False(t, exhausted)
	require.Equal(t, []int64{a}, offs, "stopped at the first")

	// Forged candidates before a real frame: below the bound it is found,
	// at the bound the search gives up first.
	for _, n := range []int{maxForgedCandidates - 1, maxForgedCandidates} {
		img := appendSegmentHeader(nil, 1)
		for i := range n {
			at := len(img)
			img = appendFrame(img, uint64(1+i), segmentHeaderSize, [][]byte{[]byte("forged")})
			img[at+frameHeaderSize+2] ^= 0x10 // the payload checksum fails
		}
		genuine := int64(len(img))
		img = appendFrame(img, uint64(1+n), segmentHeaderSize, [][]byte{[]byte("real")})
		offs, exhausted := found(img, segmentHeaderSize, -1)
		if n < maxForgedCandidates {
			require.False(t, exhausted)
			require.Equal(t, []int64{genuine}, offs)
		} else {
			require.True(t, exhausted)
			require.Empty(t, offs)
		}
	}
}
