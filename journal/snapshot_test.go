package journal

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// rec is one snapshot record, as strings so that nil and empty compare equal.
type rec struct{ key, value string }

// snapDir is the directory snapshot tests on a Mem use.
const snapDir = "/db"

// newSnapMem returns a Mem holding snapDir, its name durable.
func newSnapMem(t testing.TB) *vfs.Mem {
	t.Helper()
	m := vfs.NewMem()
	require.NoError(t, m.MkdirAll(snapDir))
	require.NoError(t, m.SyncDir("/"))
	return m
}

// someRecords returns n records of varied sizes, with every uvarint length
// up to three bytes among the first few hundred.
func someRecords(n int) []rec {
	recs := make([]rec, n)
	for i := range recs {
		recs[i] = rec{fmt.Sprintf("key-%d", i), strings.Repeat(string(rune('a'+i%26)), (i*i*37)%20000)}
	}
	return recs
}

// bodySize returns the body length of a snapshot of recs, counted apart
// from the writer.
func bodySize(recs []rec) int64 {
	var n int64
	for _, r := range recs {
		n += int64(len(binary.AppendUvarint(nil, uint64(len(r.key))))) + int64(len(r.key))
		n += int64(len(binary.AppendUvarint(nil, uint64(len(r.value))))) + int64(len(r.value))
	}
	return n
}

// writeSnapshot writes and commits the snapshot of recs at lsn in dir and
// returns its size.
func writeSnapshot(t testing.TB, fsys vfs.FS, dir string, lsn uint64, recs []rec) int64 {
	t.Helper()
	w, err := CreateSnapshot(fsys, dir, lsn, uint64(len(recs)))
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Add(r.key, []byte(r.value)))
	}
	size, err := w.Commit()
	require.NoError(t, err)
	return size
}

// trySnapshot writes the snapshot of recs at lsn in dir and returns the
// first error, aborting the writer on error as a caller would.
func trySnapshot(fsys vfs.FS, dir string, lsn uint64, recs []rec) error {
	w, err := CreateSnapshot(fsys, dir, lsn, uint64(len(recs)))
	if err != nil {
		return err
	}
	defer w.Abort()
	for _, r := range recs {
		if err := w.Add(r.key, []byte(r.value)); err != nil {
			return err
		}
	}
	_, err = w.Commit()
	return err
}

// snapshotImage returns the bytes of the snapshot of recs at lsn.
func snapshotImage(t testing.TB, lsn uint64, recs []rec) []byte {
	t.Helper()
	m := newSnapMem(t)
	writeSnapshot(t, m, snapDir, lsn, recs)
	b, err := m.ReadFile(filepath.Join(snapDir, snapshotName(lsn)))
	require.NoError(t, err)
	return b
}

// records returns the records of s, in order.
func records(s *Snapshot) []rec {
	var recs []rec
	for k, v := range s.Records {
		recs = append(recs, rec{string(k), string(v)})
	}
	return recs
}

// requireNoSnapshotFiles requires dir to hold no snapshot and no temp file.
func requireNoSnapshotFiles(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	names, err := fsys.List(dir)
	require.NoError(t, err)
	for _, n := range names {
		require.NotContains(t, n, snapshotSuffix, "a snapshot file is left")
	}
}

// requireCorruptSnapshot requires err to be a *CorruptError about file, at
// an offset within size, and not ErrVersion.
func requireCorruptSnapshot(t testing.TB, err error, file string, size int) {
	t.Helper()
	require.ErrorIs(t, err, ErrCorrupt)
	require.NotErrorIs(t, err, ErrVersion)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, file, ce.File)
	require.GreaterOrEqual(t, ce.Offset, int64(0))
	require.LessOrEqual(t, ce.Offset, int64(size))
}

func TestSnapshotName(t *testing.T) {
	require.Equal(t, "snap-00000000000000000042.hsnap", snapshotName(42))
	require.Equal(t, "snap-18446744073709551615.hsnap", snapshotName(math.MaxUint64))
	for _, lsn := range []uint64{0, 1, 42, 1 << 40, math.MaxUint64} {
		got, ok := parseSnapshotName(snapshotName(lsn))
		require.True(t, ok)
		require.Equal(t, lsn, got)
	}
	for _, name := range []string{
		"", "snap-.hsnap", "snap-42.hsnap", "snap-000000000000000000042.hsnap",
		"snap-0000000000000000004x.hsnap", "snap-+0000000000000000042.hsnap",
		"snap-99999999999999999999.hsnap", "Snap-00000000000000000042.hsnap",
		"snap-00000000000000000042.hsnap.tmp", "snap-00000000000000000042.HSNAP",
		"00000000000000000042.wal", "xsnap-00000000000000000042.hsnap",
	} {
		_, ok := parseSnapshotName(name)
		require.False(t, ok, name)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	big := strings.Repeat("B", snapshotBuffer+5) // written on its own
	recSets := []struct {
		name string
		recs []rec
	}{
		{"no records", nil},
		{"empty keys and values", []rec{{"", ""}, {"k", ""}, {"", "v"}, {"", ""}}},
		{"binary", []rec{{"\x00\xff", "\x80\x00\x01"}, {strings.Repeat("\xff", 200), "x"}}},
		{"many", someRecords(500)},
		{"over the buffer", []rec{
			{"a", strings.Repeat("1", 700<<10)}, {"b", strings.Repeat("2", 700<<10)},
			{"big", big}, {"c", ""}, {big, "after"},
		}},
	}
	fss := []struct {
		name string
		new  func(t *testing.T) (vfs.FS, string)
	}{
		{"mem", func(t *testing.T) (vfs.FS, string) { return newSnapMem(t), snapDir }},
		{"os", func(t *testing.T) (vfs.FS, string) { return vfs.OS, t.TempDir() }},
	}
	for _, fsc := range fss {
		for i, rs := range recSets {
			t.Run(fsc.name+"/"+rs.name, func(t *testing.T) {
				fsys, dir := fsc.new(t)
				lsn := uint64(1000*i + 7)
				size := writeSnapshot(t, fsys, dir, lsn, rs.recs)
				wantSize := snapshotHeaderSize + bodySize(rs.recs) + snapshotTrailerSize
				require.Equal(t, wantSize, size)

				path := filepath.Join(dir, snapshotName(lsn))
				info, err := fsys.Stat(path)
				require.NoError(t, err)
				require.Equal(t, size, info.Size())
				names, err := fsys.List(dir)
				require.NoError(t, err)
				require.Equal(t, []string{snapshotName(lsn)}, names, "only the snapshot, no temp file")

				list, err := listSnapshots(fsys, dir)
				require.NoError(t, err)
				require.Equal(t, []SnapshotFile{{Path: path, LSN: lsn}}, list)

				s, err := readSnapshot(fsys, path)
				require.NoError(t, err)
				require.Equal(t, path, s.Path)
				require.Equal(t, lsn, s.LSN)
				require.Equal(t, uint64(len(rs.recs)), s.Count)
				require.Equal(t, size, s.Size)
				require.Equal(t, rs.recs, records(s))
			})
		}
	}
}

// TestSnapshotRecordsAlias checks that records alias the image, clipped,
// and that Records stops when yield says so.
func TestSnapshotRecordsAlias(t *testing.T) {
	img := snapshotImage(t, 3, []rec{{"k1", "v1"}, {"k2", "v2"}, {"k3", "v3"}})
	s, err := decodeSnapshot("x", img)
	require.NoError(t, err)
	n := 0
	for k, v := range s.Records {
		require.Equal(t, len(k), cap(k), "key not clipped")
		require.Equal(t, len(v), cap(v), "value not clipped")
		k[0] = 'K' // aliases the image
		if n++; n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
	require.Equal(t, []rec{{"K1", "v1"}, {"K2", "v2"}, {"k3", "v3"}}, records(s))
}

// TestSnapshotGoldenV1 pins the version-1 byte layout, so that a change to
// the format cannot pass as a round trip.
func TestSnapshotGoldenV1(t *testing.T) {
	const want = "485552534e415000" + "01000000" + "00000000" + // magic, version, zero
		"0700000000000000" + "0300000000000000" + // LSN 7, 3 records
		"30fa0b6c" + "00000000" + // header CRC, zero
		"05616c706861" + "00" + // "alpha" -> ""
		"00" + "0162" + // "" -> "b"
		"016b" + "03ababab" + // "k" -> ab ab ab
		"1000000000000000" + "7182008a" + "a90bb757" // body length 16, body CRC, trailer CRC
	got := snapshotImage(t, 7, []rec{{"alpha", ""}, {"", "b"}, {"k", "\xab\xab\xab"}})
	require.Equal(t, want, hex.EncodeToString(got))
	s, err := decodeSnapshot("golden", got)
	require.NoError(t, err)
	require.Equal(t, []rec{{"alpha", ""}, {"", "b"}, {"k", "\xab\xab\xab"}}, records(s))
}

// TestSnapshotCountMismatch checks that a snapshot with fewer or more records
// than promised fails, and leaves no file behind.
func TestSnapshotCountMismatch(t *testing.T) {
	tests := []struct {
		name    string
		count   uint64
		add     int
		failAdd int // the Add (from 1) that fails; 0 for none
	}{
		{"too few", 3, 2, 0},
		{"none of one", 1, 0, 0},
		{"one too many", 2, 3, 3},
		{"one of none", 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSnapMem(t)
			w, err := CreateSnapshot(m, snapDir, 5, tt.count)
			require.NoError(t, err)
			var addErr error
			for i := 1; i <= tt.add; i++ {
				err := w.Add("k", []byte("v"))
				if i == tt.failAdd {
					require.Error(t, err)
					addErr = err
				} else {
					require.NoError(t, err)
				}
			}
			if tt.failAdd > 0 {
				// The failure is sticky and the temp file is gone at once.
				require.Equal(t, addErr, w.Add("", nil))
				requireNoSnapshotFiles(t, m, snapDir)
			}
			_, err = w.Commit()
			require.Error(t, err)
			if addErr != nil {
				require.Equal(t, addErr, err)
			}
			requireNoSnapshotFiles(t, m, snapDir)
			require.Error(t, w.Add("", nil), "Add after a failed Commit")
			_, err = w.Commit()
			require.Error(t, err, "Commit after a failed Commit")
			w.Abort()
			requireNoSnapshotFiles(t, m, snapDir)
		})
	}
}

func TestSnapshotAbort(t *testing.T) {
	m := newSnapMem(t)
	w, err := CreateSnapshot(m, snapDir, 9, 2)
	require.NoError(t, err)
	require.NoError(t, w.Add("a", []byte("b")))
	w.Abort()
	requireNoSnapshotFiles(t, m, snapDir)
	w.Abort() // idempotent
	require.Error(t, w.Add("c", nil))
	_, err = w.Commit()
	require.Error(t, err)
	requireNoSnapshotFiles(t, m, snapDir)

	// Abort after Commit changes nothing.
	w, err = CreateSnapshot(m, snapDir, 9, 1)
	require.NoError(t, err)
	require.NoError(t, w.Add("a", []byte("b")))
	_, err = w.Commit()
	require.NoError(t, err)
	w.Abort()
	s, err := readSnapshot(m, filepath.Join(snapDir, snapshotName(9)))
	require.NoError(t, err)
	require.Equal(t, []rec{{"a", "b"}}, records(s))
	_, err = w.Commit()
	require.Error(t, err, "a second Commit")
}

// TestSnapshotReplaces checks that a stale temp file does not stop a new
// snapshot, and that a snapshot at an LSN that has one replaces it.
func TestSnapshotReplaces(t *testing.T) {
	m := newSnapMem(t)
	tmp := filepath.Join(snapDir, snapshotName(4)+tempSuffix)
	f, err := m.Create(tmp)
	require.NoError(t, err)
	_, err = f.Write([]byte("stale garbage"))
	require.NoError(t, err)
	require.NoError(t, f.Close())

	writeSnapshot(t, m, snapDir, 4, []rec{{"one", "1"}})
	names, err := m.List(snapDir)
	require.NoError(t, err)
	require.Equal(t, []string{snapshotName(4)}, names)

	writeSnapshot(t, m, snapDir, 4, []rec{{"two", "2"}, {"three", "3"}})
	s, err := readSnapshot(m, filepath.Join(snapDir, snapshotName(4)))
	require.NoError(t, err)
	require.Equal(t, []rec{{"two", "2"}, {"three", "3"}}, records(s))
}

// TestSnapshotTruncated cuts a valid snapshot at every offset: each cut is
// corruption naming the file.
func TestSnapshotTruncated(t *testing.T) {
	img := snapshotImage(t, 12, []rec{{"a", "1"}, {"", ""}, {"key", strings.Repeat("v", 200)}})
	const name = "/db/x.hsnap"
	for cut := range len(img) {
		s, err := decodeSnapshot(name, img[:cut])
		require.Nil(t, s, "cut at %d", cut)
		requireCorruptSnapshot(t, err, name, cut)
	}
	_, err := decodeSnapshot(name, append(bytes.Clone(img), 0))
	requireCorruptSnapshot(t, err, name, len(img)+1)
	_, err = decodeSnapshot(name, img)
	require.NoError(t, err)
}

// TestSnapshotBitFlips flips every bit of a valid snapshot: each flip is
// corruption, the version field's too (the header checksum fails first).
func TestSnapshotBitFlips(t *testing.T) {
	img := snapshotImage(t, 300, []rec{{"a", "1"}, {"", ""}, {"key", strings.Repeat("v", 130)}})
	const name = "/db/x.hsnap"
	for i := range img {
		for bit := range 8 {
			b := bytes.Clone(img)
			b[i] ^= 1 << bit
			s, err := decodeSnapshot(name, b)
			require.Nil(t, s, "byte %d bit %d", i, bit)
			requireCorruptSnapshot(t, err, name, len(b))
		}
	}
}

// fixSnapshotHeader returns b with its header checksum made right.
func fixSnapshotHeader(b []byte) []byte {
	le.PutUint32(b[32:36], checksum(b[:32]))
	return b
}

// forgeSnapshot returns a snapshot image with a valid header and trailer
// around any body.
func forgeSnapshot(lsn, count uint64, body []byte) []byte {
	b := appendSnapshotHeader(nil, snapshotPlain, lsn, count)
	b = append(b, body...)
	return appendSnapshotTrailer(b, uint64(len(body)), checksum(body))
}

func TestSnapshotHeader(t *testing.T) {
	valid := snapshotImage(t, 8, []rec{{"k", "v"}})
	edit := func(f func(b []byte)) []byte {
		b := bytes.Clone(valid)
		f(b)
		return b
	}
	tests := []struct {
		name    string
		file    string
		data    []byte
		version bool // ErrVersion; otherwise ErrCorrupt at offset 0
	}{
		{name: "version 3", data: edit(func(b []byte) { le.PutUint32(b[8:12], 3); fixSnapshotHeader(b) }), version: true},
		{name: "version max", data: edit(func(b []byte) { le.PutUint32(b[8:12], math.MaxUint32); fixSnapshotHeader(b) }), version: true},
		{name: "version 0", data: edit(func(b []byte) { le.PutUint32(b[8:12], 0); fixSnapshotHeader(b) })},
		{name: "version 3 unfixed", data: edit(func(b []byte) { le.PutUint32(b[8:12], 3) })},
		{name: "reserved at 12", data: edit(func(b []byte) { b[13] = 1; fixSnapshotHeader(b) })},
		{name: "reserved at 36", data: edit(func(b []byte) { b[39] = 0x80 })},
		{name: "magic", data: edit(func(b []byte) { b[7] = 'X'; fixSnapshotHeader(b) })},
		{name: "segment magic", data: append([]byte(segmentMagic), valid[8:]...)},
		{name: "name gives another LSN", file: "/db/" + snapshotName(9), data: valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := cmpOr(tt.file, "/db/"+snapshotName(8)+".copy")
			s, err := decodeSnapshot(file, tt.data)
			require.Nil(t, s)
			if tt.version {
				require.ErrorIs(t, err, ErrVersion)
				require.NotErrorIs(t, err, ErrCorrupt)
				require.Contains(t, err.Error(), file)
				return
			}
			requireCorruptSnapshot(t, err, file, len(tt.data))
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.Zero(t, ce.Offset)
		})
	}
	s, err := decodeSnapshot("/db/"+snapshotName(8), valid)
	require.NoError(t, err, "the name matches")
	require.Equal(t, uint64(8), s.LSN)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestSnapshotInvalidBody checks bodies whose checksums pass but whose
// records do not fill them as promised.
func TestSnapshotInvalidBody(t *testing.T) {
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	one := cat(uv(1), []byte("k"), uv(1), []byte("v")) // 4 bytes
	tests := []struct {
		name      string
		count     uint64
		body      []byte
		corruptAt int64 // -1: valid
		want      []rec
	}{
		{"valid", 1, one, -1, []rec{{"k", "v"}}},
		{"non-minimal lengths", 2, cat([]byte{0x80, 0x00}, []byte{0x81, 0x00}, []byte("v"), one), -1, []rec{{"", "v"}, {"k", "v"}}},
		{"body ends early", 2, one, snapshotHeaderSize + 4, nil},
		{"no records for one", 1, nil, snapshotHeaderSize, nil},
		{"count 2^64-1", math.MaxUint64, one, snapshotHeaderSize + 4, nil},
		{"bytes after the records", 1, cat(one, []byte{0}), snapshotHeaderSize + 4, nil},
		{"bytes but no records", 0, []byte{0, 0}, snapshotHeaderSize, nil},
		{"key length 2^62", 2, cat(one, uv(1<<62), []byte("k")), snapshotHeaderSize + 4, nil},
		{"key length one too many", 1, cat(uv(3), []byte("k"), uv(0)), snapshotHeaderSize, nil},
		{"value length runs past", 2, cat(one, uv(1), []byte("k"), uv(2), []byte("v")), snapshotHeaderSize + 4, nil},
		{"value length 2^64-1", 1, cat(uv(0), uv(math.MaxUint64)), snapshotHeaderSize, nil},
		{"length overflows 64 bits", 1, cat(bytes.Repeat([]byte{0xff}, 9), []byte{0x7f}, uv(0)), snapshotHeaderSize, nil},
		{"length cut", 2, cat(one, []byte{0x80}), snapshotHeaderSize + 4, nil},
		{"value length missing", 2, cat(one, uv(0)), snapshotHeaderSize + 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := forgeSnapshot(77, tt.count, tt.body)
			s, err := decodeSnapshot("f", img)
			if tt.corruptAt < 0 {
				require.NoError(t, err)
				require.Equal(t, tt.want, records(s))
				require.Equal(t, tt.count, s.Count)
				return
			}
			require.Nil(t, s)
			requireCorruptSnapshot(t, err, "f", len(img))
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.corruptAt, ce.Offset, ce.Error())
		})
	}
	// The trailer's body length must be the body's, checksums or not.
	img := forgeSnapshot(77, 1, one)
	le.PutUint64(img[len(img)-16:], 5)
	le.PutUint32(img[len(img)-4:], checksum(img[len(img)-16:len(img)-4]))
	_, err := decodeSnapshot("f", img)
	requireCorruptSnapshot(t, err, "f", len(img))
}

// TestSnapshotLyingAllocs checks that lengths and counts that lie cost no
// allocation in proportion to what they claim.
func TestSnapshotLyingAllocs(t *testing.T) {
	uv := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	for name, img := range map[string][]byte{
		"count 2^64-1":     forgeSnapshot(1, math.MaxUint64, []byte{0, 0}),
		"key length 2^62":  forgeSnapshot(1, 1, append(uv(1<<62), 'k')),
		"value length max": forgeSnapshot(1, 1, append([]byte{0}, uv(math.MaxUint64)...)),
		"body length max": func() []byte {
			b := forgeSnapshot(1, 0, nil)
			le.PutUint64(b[len(b)-16:], math.MaxUint64)
			le.PutUint32(b[len(b)-4:], checksum(b[len(b)-16:len(b)-4]))
			return b
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeSnapshot("f", img)
			require.ErrorIs(t, err, ErrCorrupt)
			allocs := testing.AllocsPerRun(50, func() { _, _ = decodeSnapshot("f", img) })
			require.LessOrEqual(t, allocs, 8.0)
		})
	}
}

// snapshotState checks what a (crashed) directory holds of the snapshot of
// recs at lsn: nothing, or that snapshot whole and valid. It then removes
// the temp files with cleanSnapshotTemps, which must keep the snapshot, and
// reports whether the snapshot was there.
func snapshotState(t testing.TB, fsys vfs.FS, dir string, lsn uint64, recs []rec) bool {
	t.Helper()
	list, err := listSnapshots(fsys, dir)
	require.NoError(t, err)
	require.LessOrEqual(t, len(list), 1)
	if len(list) == 1 {
		require.Equal(t, lsn, list[0].LSN)
		s, err := readSnapshot(fsys, list[0].Path)
		require.NoError(t, err, "a snapshot under its final name must be valid")
		require.Equal(t, recs, records(s))
	}
	_, err = cleanSnapshotTemps(fsys, dir)
	require.NoError(t, err)
	names, err := fsys.List(dir)
	require.NoError(t, err)
	for _, n := range names {
		require.False(t, strings.HasSuffix(n, tempSuffix), "%s left after cleanSnapshotTemps", n)
	}
	after, err := listSnapshots(fsys, dir)
	require.NoError(t, err)
	require.Equal(t, list, after, "cleanSnapshotTemps removed a snapshot")
	return len(list) == 1
}

// TestSnapshotCrashPoints cuts the power before every file system operation
// of writing a snapshot, and after the last: before the rename the
// snapshot is absent, after the Commit it is there, and at every point it
// is absent or valid, whatever part of the unsynced data the crash keeps.
func TestSnapshotCrashPoints(t *testing.T) {
	recs := []rec{{"a", strings.Repeat("1", 700<<10)}, {"b", strings.Repeat("2", 700<<10)}, {"", ""}, {"c", "3"}}
	const lsn = 21
	for _, tear := range []bool{false, true} {
		t.Run(fmt.Sprintf("tear=%v", tear), func(t *testing.T) {
			m := newSnapMem(t)
			rng := rand.New(rand.NewPCG(7, uint64(len(recs))))
			type point struct {
				op      string
				renamed bool // the rename was done before this point
				images  []*vfs.Mem
			}
			var points []point
			renamed := false
			crash := func(op string) {
				p := point{op: op, renamed: renamed, images: []*vfs.Mem{m.Crash(vfs.CrashOptions{})}}
				for range 4 {
					p.images = append(p.images, m.Crash(vfs.CrashOptions{Rand: rng, Tear: tear}))
				}
				points = append(points, p)
			}
			fsys := &vfs.Faulty{FS: m, Inject: func(op vfs.Op, name string) error {
				crash(op.String() + " " + name)
				if op == vfs.OpRename {
					renamed = true
				}
				return nil
			}}
			writeSnapshot(t, fsys, snapDir, lsn, recs)
			crash("after Commit")
			require.Greater(t, len(points), 6)

			for _, p := range points {
				for i, img := range p.images {
					there := snapshotState(t, img, snapDir, lsn, recs)
					if !p.renamed {
						require.False(t, there, "before %s: a snapshot before the rename", p.op)
					}
					if p.op == "after Commit" {
						require.True(t, there, "image %d after Commit lost the snapshot", i)
					}
				}
			}
		})
	}
}

// TestSnapshotFaults fails each file system operation of writing a snapshot
// in turn, once or for good, with plain errors or torn writes: the error
// comes back, the final file is absent or whole and valid (whole whenever
// the rename was done), and no temp file is left unless the removal
// itself kept failing.
func TestSnapshotFaults(t *testing.T) {
	recs := []rec{{"a", strings.Repeat("1", 700<<10)}, {"b", strings.Repeat("2", snapshotBuffer)}, {"", ""}, {"c", "3"}}
	const lsn = 40
	count := &vfs.Injector{}
	require.NoError(t, trySnapshot(&vfs.Faulty{FS: newSnapMem(t), Inject: count.Inject}, snapDir, lsn, recs))
	n := count.Count()
	require.GreaterOrEqual(t, n, 8, "create, header, three writes, sync, close, rename, sync-dir")

	short := func(op vfs.Op, _ string) error {
		if op == vfs.OpWrite {
			return vfs.ShortWrite
		}
		return vfs.EIO
	}
	for _, mode := range []string{"once", "lasting", "short writes"} {
		for at := 1; at <= n; at++ {
			in := &vfs.Injector{At: at, Lasting: mode == "lasting"}
			if mode == "short writes" {
				in.Err = short
			}
			m := newSnapMem(t)
			err := trySnapshot(&vfs.Faulty{FS: m, Inject: in.Inject}, snapDir, lsn, recs)
			failed := in.Failed()
			require.ErrorIs(t, err, vfs.ErrInjected, "%s: fault at %d (%s)", mode, at, failed)
			there := func(fsys vfs.FS) bool {
				list, err := listSnapshots(fsys, snapDir)
				require.NoError(t, err)
				if len(list) == 0 {
					return false
				}
				s, err := readSnapshot(fsys, list[0].Path)
				require.NoError(t, err, "%s: fault at %s", mode, failed)
				require.Equal(t, recs, records(s))
				return true
			}
			got := there(m)
			require.Equal(t, strings.HasPrefix(failed, "sync-dir"), got,
				"%s: fault at %s: the snapshot is in place exactly when only the directory fsync failed", mode, failed)
			there(m.Crash(vfs.CrashOptions{}))
			if mode != "lasting" {
				_, err := m.Stat(filepath.Join(snapDir, snapshotName(lsn)+tempSuffix))
				require.Error(t, err, "%s: fault at %s: temp file left", mode, failed)
			}
		}
	}
}

func TestListSnapshots(t *testing.T) {
	m := newSnapMem(t)
	for _, lsn := range []uint64{100, 3, 1 << 40, 20} {
		writeSnapshot(t, m, snapDir, lsn, []rec{{"k", fmt.Sprint(lsn)}})
	}
	for _, name := range []string{snapshotName(7) + tempSuffix, "snap-5.hsnap", "00000000000000000001.wal", "notes"} {
		f, err := m.Create(filepath.Join(snapDir, name))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	list, err := listSnapshots(m, snapDir)
	require.NoError(t, err)
	var lsns []uint64
	for _, s := range list {
		require.Equal(t, filepath.Join(snapDir, snapshotName(s.LSN)), s.Path)
		lsns = append(lsns, s.LSN)
	}
	require.Equal(t, []uint64{3, 20, 100, 1 << 40}, lsns)

	_, err = listSnapshots(m, "/missing")
	require.Error(t, err)
	empty, err := listSnapshots(m, "/")
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestCleanSnapshotTemps(t *testing.T) {
	m := newSnapMem(t)
	writeSnapshot(t, m, snapDir, 9, []rec{{"k", "v"}})
	files := []string{
		snapshotName(7) + tempSuffix, snapshotName(9) + tempSuffix, // removed
		"other.tmp", "snap-12.hsnap.tmp", snapshotName(8) + ".tmp.tmp", "00000000000000000001.wal.tmp", "notes", // kept
	}
	for _, name := range files {
		f, err := m.Create(filepath.Join(snapDir, name))
		require.NoError(t, err)
		_, err = f.Write([]byte("x"))
		require.NoError(t, err)
		require.NoError(t, f.Sync())
		require.NoError(t, f.Close())
	}
	require.NoError(t, m.SyncDir(snapDir))

	in := &vfs.Injector{}
	removed, err := cleanSnapshotTemps(&vfs.Faulty{FS: m, Inject: in.Inject}, snapDir)
	require.NoError(t, err)
	require.Equal(t, 2, removed)
	want := []string{"00000000000000000001.wal.tmp", "notes", "other.tmp", snapshotName(8) + ".tmp.tmp", "snap-12.hsnap.tmp", snapshotName(9)}
	for _, fsys := range []vfs.FS{m, m.Crash(vfs.CrashOptions{})} { // the removals are durable
		names, err := fsys.List(snapDir)
		require.NoError(t, err)
		require.ElementsMatch(t, want, names)
	}

	// Nothing to remove: no directory fsync.
	syncs := 0
	removed, err = cleanSnapshotTemps(&vfs.Faulty{FS: m, Inject: func(op vfs.Op, _ string) error {
		if op == vfs.OpSyncDir {
			syncs++
		}
		return nil
	}}, snapDir)
	require.NoError(t, err)
	require.Zero(t, removed)
	require.Zero(t, syncs)

	_, err = cleanSnapshotTemps(m, "/missing")
	require.Error(t, err)
}

func TestPruneSnapshots(t *testing.T) {
	lsns := []uint64{3, 10, 42, 1000}
	tests := []struct {
		keep    int
		removed []uint64
	}{
		{1, []uint64{3, 10, 42}},
		{2, []uint64{3, 10}},
		{3, []uint64{3}},
		{4, nil},
		{10, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep %d", tt.keep), func(t *testing.T) {
			m := newSnapMem(t)
			for _, lsn := range lsns {
				writeSnapshot(t, m, snapDir, lsn, []rec{{"k", fmt.Sprint(lsn)}})
			}
			f, err := m.Create(filepath.Join(snapDir, snapshotName(1)+tempSuffix))
			require.NoError(t, err)
			require.NoError(t, f.Close())

			removed, err := PruneSnapshots(m, snapDir, tt.keep, math.MaxUint64)
			require.NoError(t, err)
			var wantPaths []string
			for _, lsn := range tt.removed {
				wantPaths = append(wantPaths, filepath.Join(snapDir, snapshotName(lsn)))
			}
			require.Equal(t, wantPaths, removed)
			for _, fsys := range []vfs.FS{m, m.Crash(vfs.CrashOptions{})} { // the removals are durable
				list, err := listSnapshots(fsys, snapDir)
				require.NoError(t, err)
				var kept []uint64
				for _, s := range list {
					kept = append(kept, s.LSN)
				}
				require.Equal(t, lsns[len(tt.removed):], kept)
			}
			_, err = m.Stat(filepath.Join(snapDir, snapshotName(1)+tempSuffix))
			require.NoError(t, err, "a temp file is not a snapshot to prune")
		})
	}
	for _, keep := range []int{0, -1} {
		m := newSnapMem(t)
		writeSnapshot(t, m, snapDir, 1, nil)
		removed, err := PruneSnapshots(m, snapDir, keep, math.MaxUint64)
		require.Error(t, err, "keep %d", keep)
		require.Empty(t, removed)
		list, err := listSnapshots(m, snapDir)
		require.NoError(t, err)
		require.Len(t, list, 1)
	}
	removed, err := PruneSnapshots(newSnapMem(t), snapDir, 1, math.MaxUint64)
	require.NoError(t, err)
	require.Empty(t, removed)
}
