package journal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// writeLog writes entries 1..n into a fresh directory, one frame each, with
// an fsync after each frame if sync, and returns the directory.
func writeLog(t *testing.T, n uint64, sync bool, opts Options) string {
	t.Helper()
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, opts)
	for lsn := uint64(1); lsn <= n; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, sync))
	}
	require.NoError(t, j.Close())
	return dir
}

// requireTornSaved requires rep to report a cut of seg at off whose saved
// file holds exactly cut.
func requireTornSaved(t *testing.T, rep Report, seg string, off int64, cut []byte) {
	t.Helper()
	require.NotNil(t, rep.Torn)
	require.Equal(t, SetAside{
		File:    seg,
		Offset:  off,
		Bytes:   int64(len(cut)),
		SavedAs: fmt.Sprintf("%s.%d.torn", seg, off),
	}, *rep.Torn)
	require.Equal(t, cut, readFile(t, rep.Torn.SavedAs))
}

func TestTornTailOfFiller(t *testing.T) {
	garbage := make([]byte, 3000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	onesAndFF := bytes.Repeat([]byte{0xff}, 100)
	tests := []struct {
		name string
		tail []byte
	}{
		{"zeros", make([]byte, 4096)},
		{"one zero", []byte{0}},
		{"garbage", garbage},
		{"0xff", onesAndFF},
	}
	for _, tt := range tests {
		for _, entries := range []uint64{0, 5} {
			t.Run(fmt.Sprintf("%s after %d entries", tt.name, entries), func(t *testing.T) {
				dir := writeLog(t, entries, entries%2 == 1, Options{})
				seg := segPath(dir, 1)
				orig := readFile(t, seg)
				writeFileT(t, seg, append(bytes.Clone(orig), tt.tail...))

				j := open(t, vfs.OS, dir, Options{})
				requireEntries(t, 1, entries, j.replayed)
				requireTornSaved(t, j.rep, seg, int64(len(orig)), tt.tail)
				require.Equal(t, orig, readFile(t, seg))
				require.NoError(t, put(t, j.Journal, entries+1, entries+1, true))
				require.NoError(t, j.Close())
				j = open(t, vfs.OS, dir, Options{})
				requireEntries(t, 1, entries+1, j.replayed)
			})
		}
	}
}

func TestTornHeader(t *testing.T) {
	tests := []struct {
		name  string
		image func(hdr []byte) []byte
	}{
		{"empty file", func([]byte) []byte { return []byte{} }},
		{"half a header", func(h []byte) []byte { return h[:segmentHeaderSize/2] }},
		{"header but its checksum", func(h []byte) []byte { return h[:segmentHeaderSize-1] }},
		{"zero-filled", func([]byte) []byte { return make([]byte, 512) }},
	}
	for _, tt := range tests {
		for _, first := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, only segment %v", tt.name, first), func(t *testing.T) {
				var dir string
				var prev uint64 // entries in the segments before
				if first {
					dir = t.TempDir()
				} else {
					prev = 8
					dir = writeLog(t, prev, false, Options{})
				}
				seg := segPath(dir, prev+1)
				img := tt.image(appendSegmentHeader(nil, prev+1))
				writeFileT(t, seg, img)

				j := open(t, vfs.OS, dir, Options{})
				requireEntries(t, 1, prev, j.replayed)
				require.NotNil(t, j.rep.Torn)
				require.Equal(t, SetAside{File: seg, Offset: 0, Bytes: int64(len(img)), SavedAs: seg + ".0.torn"}, *j.rep.Torn)
				require.Equal(t, img, readFile(t, seg+".0.torn"))
				if first {
					require.Equal(t, 0, j.rep.Segments)
					// A fresh segment took its place.
					require.Equal(t, appendSegmentHeader(nil, 1), readFile(t, seg))
				} else {
					require.Equal(t, 1, j.rep.Segments)
					require.NoFileExists(t, seg)
				}
				require.NoError(t, put(t, j.Journal, prev+1, prev+3, true))
				require.NoError(t, j.Close())
				j = open(t, vfs.OS, dir, Options{})
				requireEntries(t, 1, prev+3, j.replayed)
				require.Nil(t, j.rep.Torn)
			})
		}
	}
}

func TestTornNamesNeverCollide(t *testing.T) {
	dir := writeLog(t, 3, true, Options{})
	seg := segPath(dir, 1)
	orig := readFile(t, seg)
	for i, want := range []string{".torn", "-1.torn", "-2.torn"} {
		tail := []byte(fmt.Sprintf("tail %d", i))
		writeFileT(t, seg, append(bytes.Clone(orig), tail...))
		o, err := tryOpen(vfs.OS, dir, Options{})
		require.NoError(t, err)
		require.NoError(t, o.Close())
		saved := fmt.Sprintf("%s.%d%s", seg, len(orig), want)
		require.Equal(t, saved, o.rep.Torn.SavedAs)
		require.Equal(t, tail, readFile(t, saved))
	}
}

// TestCorruption damages logs in ways no torn write explains and checks that
// Open refuses with the file and offset, and changes nothing.
func TestCorruption(t *testing.T) {
	type damage struct {
		seg int   // index of the segment
		off int64 // offset of the damaged frame or header
	}
	// flip flips a bit at delta into the frame of segment seg (counting
	// from 1) with index frame, and returns where the frame is.
	flip := func(frame int, delta int64) func(t *testing.T, segs []string) damage {
		return func(t *testing.T, segs []string) damage {
			i := len(segs) - 1
			if frame < 0 { // a middle frame of the first segment
				i, frame = 0, -frame
			} else {
				frame = len(frameOffsets(t, readFile(t, segs[i])))/2 - 1 + frame
			}
			data := readFile(t, segs[i])
			off := frameOffsets(t, data)[frame]
			data[off+delta] ^= 0x04
			writeFileT(t, segs[i], data)
			return damage{i, off}
		}
	}
	tests := []struct {
		name    string
		sync    bool  // fsync after every frame
		segSize int64 // 0: one segment
		damage  func(t *testing.T, segs []string) damage
		wantErr error
	}{
		{"payload bit, middle frame of a full segment", false, 300, flip(-2, frameHeaderSize+3), ErrCorrupt},
		{"length bit, middle frame of a full segment", false, 300, flip(-2, 1), ErrCorrupt},
		{"header checksum bit, middle frame of a full segment", false, 300, flip(-2, 13), ErrCorrupt},
		{"payload bit, synced middle frame of the last segment", true, 0, flip(0, frameHeaderSize+3), ErrCorrupt},
		{"length bit, synced middle frame of the last segment", true, 0, flip(0, 2), ErrCorrupt},
		{"type bit, synced middle frame of the last segment", true, 0, flip(0, 4), ErrCorrupt},
		{"payload bit, synced middle frame, several segments", true, 300, flip(0, frameHeaderSize+3), ErrCorrupt},
		{"header of a full segment", false, 300, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[0])
			data[18] ^= 1
			writeFileT(t, segs[0], data)
			return damage{0, 0}
		}, ErrCorrupt},
		{"header of the last segment, frames synced after", true, 0, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[0])
			data[3] ^= 1
			writeFileT(t, segs[0], data)
			return damage{0, 0}
		}, ErrCorrupt},
		{"newer version, last segment", false, 0, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[0])
			le.PutUint32(data[8:12], segmentVersion+1)
			le.PutUint32(data[28:32], checksum(data[:28]))
			writeFileT(t, segs[0], data)
			return damage{-1, 0}
		}, ErrVersion},
		{"newer version, first of several", false, 300, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[0])
			le.PutUint32(data[8:12], segmentVersion+1)
			le.PutUint32(data[28:32], checksum(data[:28]))
			writeFileT(t, segs[0], data)
			return damage{-1, 0}
		}, ErrVersion},
		{"segment missing in the middle", false, 300, func(t *testing.T, segs []string) damage {
			require.NoError(t, os.Remove(segs[1]))
			return damage{2 - 1, 0} // reported at the segment after the hole
		}, ErrCorrupt},
		{"name and header disagree", false, 300, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[1])
			first := le.Uint64(data[16:24])
			copy(data, appendSegmentHeader(nil, first+1))
			writeFileT(t, segs[1], data)
			return damage{1, 0}
		}, ErrCorrupt},
		{"valid frame with the wrong LSN", false, 0, func(t *testing.T, segs []string) damage {
			data := readFile(t, segs[0])
			off := int64(len(data))
			data = appendFrame(data, 1000, segmentHeaderSize, [][]byte{[]byte("x")})
			writeFileT(t, segs[0], data)
			return damage{0, off}
		}, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeLog(t, 20, tt.sync, Options{SegmentSize: tt.segSize})
			segs := segments(t, dir)
			if tt.segSize > 0 {
				require.Greater(t, len(segs), 2)
			} else {
				require.Len(t, segs, 1)
			}
			d := tt.damage(t, segs)
			before := dirImage(t, dir)

			o, err := tryOpen(vfs.OS, dir, Options{})
			require.ErrorIs(t, err, tt.wantErr)
			require.Nil(t, o.Journal)
			require.Equal(t, before, dirImage(t, dir), "a failed Open changed the directory")
			if tt.wantErr == ErrCorrupt {
				var ce *CorruptError
				require.True(t, errors.As(err, &ce))
				if tt.name == "segment missing in the middle" {
					d.seg = 1 // segs[1] is gone: segs[2] is where the gap shows
					require.Equal(t, segs[2], ce.File)
				} else {
					require.Equal(t, segs[d.seg], ce.File)
				}
				require.Equal(t, d.off, ce.Offset, "%v", err)
				require.NotErrorIs(t, err, ErrVersion)
			}
			// The directory is still unlocked.
			_, err = tryOpen(vfs.OS, dir, Options{})
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

// TestUnsyncedDamageIsTorn flips a bit in a frame written after the last
// fsync, in the image a crash leaves (taken before Close, which would record
// its final fsync): the frames after it record no fsync beyond it, so this
// is a torn tail, not corruption.
func TestUnsyncedDamageIsTorn(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 2, true))
	for lsn := uint64(3); lsn <= 8; lsn++ {
		require.NoError(t, put(t, j.Journal, lsn, lsn, false))
	}
	seg := segPath(dir, 1)
	data := readFile(t, seg)
	require.NoError(t, j.Close())
	offs := frameOffsets(t, data)
	// Frames: [1 2] [3] [4] [5] [6] [7] [8]; damage [5].
	at := offs[3]
	bad := bytes.Clone(data)
	bad[at+frameHeaderSize+2] ^= 0x80
	writeFileT(t, seg, bad)
	removeClosed(t, dir) // as a kill -9 before Close would have left it

	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, 4, j.replayed)
	requireTornSaved(t, j.rep, seg, at, bad[at:])
	require.NoError(t, j.Close())
}

func TestGapBetweenHandMadeSegments(t *testing.T) {
	tests := []struct {
		name    string
		files   map[uint64][]byte // first LSN -> image
		from    uint64
		bad     uint64 // segment reported
		wantErr bool
	}{
		{"contiguous", map[uint64][]byte{
			1: segmentImage(1, segmentHeaderSize, entries(1, 3)),
			4: segmentImage(4, segmentHeaderSize, entries(4, 5)),
		}, 0, 0, false},
		{"hole", map[uint64][]byte{
			1: segmentImage(1, segmentHeaderSize, entries(1, 3)),
			5: segmentImage(5, segmentHeaderSize, entries(5, 6)),
		}, 0, 5, true},
		{"overlap", map[uint64][]byte{
			1: segmentImage(1, segmentHeaderSize, entries(1, 3)),
			3: segmentImage(3, segmentHeaderSize, entries(3, 6)),
		}, 0, 3, true},
		{"log starts after From+1", map[uint64][]byte{
			4: segmentImage(4, segmentHeaderSize, entries(4, 5)),
		}, 2, 4, true},
		{"log starts at From+1", map[uint64][]byte{
			4: segmentImage(4, segmentHeaderSize, entries(4, 5)),
		}, 3, 0, false},
		{"empty segment between", map[uint64][]byte{
			1: segmentImage(1, segmentHeaderSize, entries(1, 3)),
			4: appendSegmentHeader(nil, 4),
			6: segmentImage(6, segmentHeaderSize, entries(6, 6)),
		}, 0, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for first, img := range tt.files {
				writeFileT(t, segPath(dir, first), img)
			}
			writeFileT(t, filepath.Join(dir, "notes.txt"), []byte("ignored"))
			before := dirImage(t, dir)
			o, err := tryOpen(vfs.OS, dir, Options{From: tt.from})
			if !tt.wantErr {
				require.NoError(t, err)
				require.NoError(t, o.Close())
				return
			}
			require.ErrorIs(t, err, ErrCorrupt)
			var ce *CorruptError
			require.True(t, errors.As(err, &ce))
			require.Equal(t, segPath(dir, tt.bad), ce.File)
			require.Zero(t, ce.Offset)
			require.Equal(t, before, dirImage(t, dir))
		})
	}
}

// names lists dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ns, err := vfs.OS.List(dir)
	require.NoError(t, err)
	return ns
}
