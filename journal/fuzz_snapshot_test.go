package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path"
	"strings"
	"testing"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// fuzzSnapshotPath is the name the target decodes under: not a snapshot name,
// so that the name puts no constraint on the LSN.
const fuzzSnapshotPath = "/d/fuzz.hsnap"

// snapRec is one snapshot record.
type snapRec struct {
	key, value []byte
	at         int64 // the deadline, if any
}

// buildSnapshot writes the snapshot of recs at lsn with CreateSnapshot (or
// CreateSnapshotDeadlines if a record has a deadline) on a fresh vfs.Mem
// and returns its image and the size Commit reported.
func buildSnapshot(lsn uint64, recs []snapRec) ([]byte, int64, error) {
	dl := false
	for _, r := range recs {
		dl = dl || r.at != 0
	}
	return buildSnapshotV(lsn, recs, dl)
}

// buildSnapshotV is buildSnapshot, with deadlines if dl.
func buildSnapshotV(lsn uint64, recs []snapRec, dl bool) ([]byte, int64, error) {
	m := vfs.NewMem()
	create := CreateSnapshot
	if dl {
		create = CreateSnapshotDeadlines
	}
	w, err := create(m, "/", lsn, uint64(len(recs)))
	if err != nil {
		return nil, 0, err
	}
	defer w.Abort()
	for _, r := range recs {
		if err := w.AddAt(string(r.key), r.value, r.at); err != nil {
			return nil, 0, err
		}
	}
	size, err := w.Commit()
	if err != nil {
		return nil, 0, err
	}
	b, err := m.ReadFile(path.Join("/", snapshotName(lsn)))
	return b, size, err
}

// mustSnapshot is buildSnapshot for seeds, which cannot fail.
func mustSnapshot(lsn uint64, recs ...snapRec) []byte {
	b, _, err := buildSnapshot(lsn, recs)
	if err != nil {
		panic(err)
	}
	return b
}

// fixSnapshot returns a copy of b with the header checksum made right if
// there is a header, and, if there is room for a trailer after it, the
// trailer's body length, body checksum and own checksum too.
func fixSnapshot(b []byte) []byte {
	b = bytes.Clone(b)
	const h, tr = snapshotHeaderSize, snapshotTrailerSize
	if len(b) < h {
		return b
	}
	le.PutUint32(b[32:36], crc(b[:32]))
	if len(b) < h+tr {
		return b
	}
	end := len(b) - tr
	le.PutUint64(b[end:], uint64(end-h))
	le.PutUint32(b[end+8:], crc(b[h:end]))
	le.PutUint32(b[end+12:], crc(b[end:end+12]))
	return b
}

// forgeSnapshot returns a snapshot image of the given version, LSN and
// count around any body, all its checksums right.
func forgeSnapshotV(version uint32, lsn, count uint64, body []byte) []byte {
	b := append([]byte{}, snapshotMagic[:]...)
	b = le.AppendUint32(b, version)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, lsn)
	b = le.AppendUint64(b, count)
	b = append(b, make([]byte, 8)...)
	b = append(b, body...)
	return fixSnapshot(append(b, make([]byte, snapshotTrailerSize)...))
}

// validSnapshotHeader reports whether b starts with a snapshot header that
// passes its checksum, and returns its version.
func validSnapshotHeader(b []byte) (uint32, bool) {
	if len(b) < snapshotHeaderSize || [8]byte(b[:8]) != snapshotMagic {
		return 0, false
	}
	return le.Uint32(b[8:12]), crc(b[:32]) == le.Uint32(b[32:36])
}

// checkDecodeSnapshot checks decodeSnapshot on b. It must not panic. An
// error is ErrCorrupt (a *CorruptError naming the file, at an offset
// within b) or ErrVersion, never both, and ErrVersion only for a header
// that verifies and gives a version above snapshotVersion; no Snapshot
// comes with it. A decoded snapshot gives the header's LSN and count and
// the image's size, yields exactly Count records, clipped slices of the
// image that fill its body exactly, and stops when told; the same bytes decode under their own snapshot name and not under
// another LSN's; and writing its records again with CreateSnapshot gives a
// file no longer than b (the same bytes if as long: b then used the
// shortest lengths) that decodes to the same LSN, count and records.
func checkDecodeSnapshot(t *testing.T, b []byte) {
	s, err := decodeSnapshot(fuzzSnapshotPath, b)
	if err != nil {
		if s != nil {
			t.Fatalf("error %v with a snapshot", err)
		}
		corrupt, version := errors.Is(err, ErrCorrupt), errors.Is(err, ErrVersion)
		switch {
		case corrupt == version:
			t.Fatalf("error %v: ErrCorrupt %v, ErrVersion %v; want exactly one", err, corrupt, version)
		case version:
			if v, ok := validSnapshotHeader(b); !ok || v <= snapshotVersion {
				t.Fatalf("ErrVersion (%v) for a header that does not verify or has version %d", err, v)
			}
			if !strings.Contains(err.Error(), fuzzSnapshotPath) {
				t.Fatalf("ErrVersion does not name the file: %v", err)
			}
		default:
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.File != fuzzSnapshotPath || ce.Offset < 0 || ce.Offset > int64(len(b)) {
				t.Fatalf("corruption %v is not a *CorruptError naming the file at an offset within %d bytes", err, len(b))
			}
		}
		return
	}

	if s.Path != fuzzSnapshotPath || s.Size != int64(len(b)) {
		t.Fatalf("Path %q, Size %d for %d bytes", s.Path, s.Size, len(b))
	}
	if v, ok := validSnapshotHeader(b); !ok || (v != snapshotVersion && v != snapshotPlain) || s.Deadlines != (v == snapshotVersion) {
		t.Fatalf("decoded a snapshot whose header does not verify or has version %d", v)
	}
	if s.LSN != le.Uint64(b[16:24]) || s.Count != le.Uint64(b[24:32]) {
		t.Fatalf("LSN %d, Count %d; the header says %d, %d", s.LSN, s.Count, le.Uint64(b[16:24]), le.Uint64(b[24:32]))
	}
	var recs []snapRec
	minimal := int64(snapshotHeaderSize + snapshotTrailerSize)
	off := snapshotHeaderSize // walking the body again, here
	field := func(i int, what string, got []byte) {
		n, k := binary.Uvarint(b[off:])
		if k <= 0 || n != uint64(len(got)) {
			t.Fatalf("record %d: the %s at %d has length %d, the body says %d (%d)", i, what, off, len(got), n, k)
		}
		off += k
		if len(got) > 0 && &got[0] != &b[off] {
			t.Fatalf("record %d: the %s does not alias the image at %d", i, what, off)
		}
		off += len(got)
	}
	for k, r := range s.RecordsAt {
		v := r.Value
		if cap(k) != len(k) || cap(v) != len(v) {
			t.Fatalf("record %d not clipped: key %d/%d, value %d/%d", len(recs), len(k), cap(k), len(v), cap(v))
		}
		field(len(recs), "key", k)
		field(len(recs), "value", v)
		if s.Deadlines {
			at, n := binary.Varint(b[off:])
			if n <= 0 || at != r.At {
				t.Fatalf("record %d: deadline %d, the body says %d (%d)", len(recs), r.At, at, n)
			}
			off += n
			minimal += int64(len(binary.AppendVarint(nil, at)))
		} else if r.At != 0 {
			t.Fatalf("record %d: deadline %d in a snapshot without deadlines", len(recs), r.At)
		}
		recs = append(recs, snapRec{k, v, r.At})
		minimal += int64(uvarintLen(len(k)) + len(k) + uvarintLen(len(v)) + len(v))
	}
	if uint64(len(recs)) != s.Count {
		t.Fatalf("%d records yielded, Count %d", len(recs), s.Count)
	}
	if off != len(b)-snapshotTrailerSize {
		t.Fatalf("the records end at %d, the body at %d", off, len(b)-snapshotTrailerSize)
	}
	if minimal > s.Size {
		t.Fatalf("the records take at least %d bytes, more than the %d-byte file", minimal, s.Size)
	}
	calls := 0
	s.Records(func(_, _ []byte) bool { calls++; return false })
	if want := min(1, len(recs)); calls != want {
		t.Fatalf("Records called yield %d times after it returned false, want %d", calls, want)
	}

	dir := "/d/"
	if _, err := decodeSnapshot(dir+snapshotName(s.LSN), b); err != nil {
		t.Fatalf("under its own snapshot name: %v", err)
	}
	if _, err := decodeSnapshot(dir+snapshotName(s.LSN+1), b); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("under another LSN's snapshot name: %v, want ErrCorrupt", err)
	}

	enc, size, err := buildSnapshotV(s.LSN, recs, s.Deadlines)
	if err != nil {
		t.Fatalf("writing the records again: %v", err)
	}
	if size != int64(len(enc)) || size != minimal {
		t.Fatalf("Commit reported %d bytes, the file has %d, the records need %d", size, len(enc), minimal)
	}
	switch {
	case len(enc) > len(b):
		t.Fatalf("re-encoding is %d bytes, longer than the %d decoded", len(enc), len(b))
	case len(enc) == len(b) && !bytes.Equal(enc, b):
		t.Fatalf("re-encoding differs:\n got  %x\n want %x", enc, b)
	}
	g, err := decodeSnapshot(fuzzSnapshotPath, enc)
	if err != nil {
		t.Fatalf("re-encoding does not decode: %v", err)
	}
	if g.LSN != s.LSN || g.Count != s.Count || g.Size != size {
		t.Fatalf("re-encoding gives LSN %d, Count %d, Size %d; want %d, %d, %d", g.LSN, g.Count, g.Size, s.LSN, s.Count, size)
	}
	i := 0
	for k, v := range g.RecordsAt {
		if !bytes.Equal(k, recs[i].key) || !bytes.Equal(v.Value, recs[i].value) || v.At != recs[i].at {
			t.Fatalf("record %d of the re-encoding is %q=%q@%d, want %q=%q@%d", i, k, v.Value, v.At, recs[i].key, recs[i].value, recs[i].at)
		}
		i++
	}
}

// uvarintLen returns the length of the shortest uvarint of n.
func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

// FuzzDecodeSnapshot feeds arbitrary bytes to decodeSnapshot, then
// the same bytes with the header and trailer checksums (and the trailer's
// body length) made right, so that the fuzzer reaches the record walker,
// which random bytes almost never do past three CRC32Cs. See
// checkDecodeSnapshot for what must hold.
func FuzzDecodeSnapshot(f *testing.F) {
	for _, s := range decodeSnapshotSeeds()[:8] {
		f.Add(s.Args[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecodeSnapshot(t, b)
		if fixed := fixSnapshot(b); !bytes.Equal(fixed, b) {
			checkDecodeSnapshot(t, fixed)
		}
	})
}

// decodeSnapshotSeeds are the seeds of FuzzDecodeSnapshot: valid snapshots
// first (the first eight), then damaged ones, and ones whose checksums
// pass around wrong contents.
func decodeSnapshotSeeds() []fuzzkit.Seed {
	var seeds []fuzzkit.Seed
	add := func(name string, b []byte) { seeds = append(seeds, fuzzkit.Seed{Name: name, Args: []any{b}}) }
	r := func(k, v string) snapRec { return snapRec{key: []byte(k), value: []byte(v)} }
	valid := mustSnapshot(7, r("k", "v"), r("", ""), r("key", strings.Repeat("v", 130)))

	add("valid-empty", mustSnapshot(1))
	add("valid-one", mustSnapshot(7, r("k", "v")))
	add("valid-empty-fields", mustSnapshot(9, r("", ""), r("a", ""), r("", "b")))
	add("valid-lengths", valid)
	add("valid-binary", mustSnapshot(1<<40, r("\x00\xff", "\x80\x00\x01"), r("\xff\xfe", "")))
	add("valid-max-lsn", mustSnapshot(math.MaxUint64, r("z", "1")))
	add("valid-lsn-0", mustSnapshot(0))
	// Longer uvarints than needed: "" as 0x80 0x00, "v" with 0x81 0x00.
	add("valid-non-minimal", forgeSnapshotV(1, 3, 1, []byte{0x80, 0x00, 0x81, 0x00, 'v'}))
	// Version 2: deadlines, zero, negative and large; a deadline cut short.
	add("valid-deadlines", mustSnapshot(5, snapRec{[]byte("k"), []byte("v"), 1_800_000_000_000_000_000},
		r("n", ""), snapRec{[]byte(""), []byte("x"), -3}))
	add("deadline-cut", forgeSnapshotV(2, 5, 1, []byte{1, 'k', 0, 0x80}))
	add("deadline-missing", forgeSnapshotV(2, 5, 1, []byte{1, 'k', 0}))

	for _, cut := range []int{0, 7, 8, 39, 40, 41, 55, len(valid) - 16, len(valid) - 1} {
		add(fmt.Sprintf("cut-%d", cut), valid[:cut])
	}
	add("extended", append(bytes.Clone(valid), 0))
	for _, at := range []int{0, 9, 13, 20, 28, 33, 38, 45, len(valid) - 10, len(valid) - 1} {
		add(fmt.Sprintf("flip-%d", at), fuzzkit.Flip(valid, at, at%8))
	}
	add("zero-tail", fuzzkit.ZeroTail(valid, 50))
	add("empty", nil)
	add("magic-only", snapshotMagic[:])
	add("segment-header", appendSegmentHeader(nil, 1))

	// Checksums right around wrong contents.
	withVersion := func(v uint32) []byte {
		b := bytes.Clone(valid)
		le.PutUint32(b[8:12], v)
		return fixSnapshot(b)
	}
	add("version-2-fixed", withVersion(2))
	add("version-max-fixed", withVersion(math.MaxUint32))
	add("version-0-fixed", withVersion(0))
	res := bytes.Clone(valid)
	res[14] = 1
	add("reserved-fixed", fixSnapshot(res))
	res = bytes.Clone(valid)
	res[37] = 1
	add("reserved-36", res)
	one := []byte{1, 'k', 1, 'v'}
	add("count-too-many", forgeSnapshotV(1, 5, 2, one))
	add("count-2^64-1", forgeSnapshotV(1, 5, math.MaxUint64, one))
	add("count-too-few", forgeSnapshotV(1, 5, 1, append(bytes.Clone(one), one...)))
	add("bytes-no-records", forgeSnapshotV(1, 5, 0, []byte{0, 0}))
	add("key-2^62", forgeSnapshotV(1, 5, 1, append(binary.AppendUvarint(nil, 1<<62), 'k', 0)))
	add("value-runs-past", forgeSnapshotV(1, 5, 1, []byte{1, 'k', 2, 'v'}))
	add("value-2^64-1", forgeSnapshotV(1, 5, 1, append([]byte{0}, binary.AppendUvarint(nil, math.MaxUint64)...)))
	add("uvarint-overflow", forgeSnapshotV(1, 5, 1, append(bytes.Repeat([]byte{0xff}, 9), 0x7f, 0)))
	add("uvarint-cut", forgeSnapshotV(1, 5, 1, []byte{0x80}))
	long := bytes.Clone(valid)
	end := len(long) - snapshotTrailerSize
	le.PutUint64(long[end:], math.MaxUint64)
	le.PutUint32(long[end+12:], crc(long[end:end+12]))
	add("body-length-max", long)
	return seeds
}

// TestLyingLengthsSnapshot checks that decodeSnapshot refuses snapshots
// whose sizes lie and allocates next to nothing for them, and that a valid
// snapshot costs a fixed amount however many records it holds.
func TestLyingLengthsSnapshot(t *testing.T) {
	seeds := map[string][]byte{}
	for _, s := range decodeSnapshotSeeds() {
		seeds[s.Name] = s.Args[0].([]byte)
	}
	tests := map[string][]byte{}
	for _, name := range []string{"count-2^64-1", "key-2^62", "value-2^64-1", "uvarint-overflow", "body-length-max"} {
		if seeds[name] == nil {
			t.Fatalf("no seed %s", name)
		}
		tests[name] = seeds[name]
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if len(b) > 256 {
				t.Fatalf("the input is %d bytes, meant to be small", len(b))
			}
			if _, err := decodeSnapshot("x", b); err == nil {
				t.Fatal("decodeSnapshot accepted it")
			}
			if got := fuzzkit.AllocPerCall(100, func() { _, _ = decodeSnapshot("x", b) }); got > fuzzkit.MaxAllocPerCall {
				t.Fatalf("decodeSnapshot allocated %d bytes per call", got)
			}
		})
	}
	t.Run("many records", func(t *testing.T) {
		recs := make([]snapRec, 50000)
		b, _, err := buildSnapshot(3, recs)
		if err != nil {
			t.Fatal(err)
		}
		if got := fuzzkit.AllocPerCall(10, func() { _, _ = decodeSnapshot("x", b) }); got > 1<<10 {
			t.Fatalf("decodeSnapshot allocated %d bytes for %d records", got, len(recs))
		}
	})
}
