package journal

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
)

// Limits of the segments FuzzScanSegment builds, to keep executions fast.
const (
	maxFrames       = 8
	maxContentBytes = 16 << 10
)

// stream hands out the bytes of a fuzz input one at a time and, once they
// run out, a fixed pattern, so that any input describes a segment.
type stream struct {
	b []byte
	i int
}

func (s *stream) next() byte {
	i := s.i
	s.i++
	if i < len(s.b) {
		return s.b[i]
	}
	return byte(i*37 + 11)
}

// segment is a valid segment image with what it holds.
type segment struct {
	data   []byte
	first  uint64
	bounds []int      // bounds[i] is the offset of frame i; the last is len(data)
	frames [][][]byte // the entries of each frame
}

// buildSegment builds a valid segment from fuzz-chosen parameters. shape
// gives the number of frames (up to maxFrames), the number of entries in
// each, the length of each entry and how far each frame's Synced offset
// has advanced; content gives the entries' bytes, cycled (a pattern if it
// is empty). first is moved into [1, MaxUint64-total] so that every LSN
// fits, the top of which the journal allows.
func buildSegment(first uint64, shape, content []byte) segment {
	s := stream{b: shape}
	type plan struct {
		lens   []int
		synced byte
	}
	plans := make([]plan, s.next()%(maxFrames+1))
	var total uint64
	budget := maxContentBytes
	for i := range plans {
		n := int(s.next())
		switch {
		case n >= 0xf8:
			n = 24 + n&7 // a count with a one-byte CBOR argument
		default:
			n %= 5
		}
		plans[i].synced = s.next()
		for range n {
			l := int(s.next())
			if l >= 0xf0 {
				l = 200 + int(s.next())*4 // a length with a two-byte CBOR argument
			} else {
				l %= 40
			}
			l = min(l, budget)
			budget -= l
			plans[i].lens = append(plans[i].lens, l)
		}
		total += uint64(n)
	}
	first = max(first, 1)
	if first > math.MaxUint64-total {
		first = math.MaxUint64 - total
	}

	seg := segment{first: first, data: appendSegmentHeader(nil, first)}
	pos := 0
	nextByte := func() byte {
		defer func() { pos++ }()
		if len(content) == 0 {
			return byte(pos*7 + 1)
		}
		return content[pos%len(content)]
	}
	lsn := first
	synced := uint64(segmentHeaderSize)
	for _, p := range plans {
		off := len(seg.data)
		// A real writer records a Synced offset that only grows and never
		// passes the frame's own offset.
		synced += (uint64(off) - synced) * uint64(p.synced) / 255
		entries := make([][]byte, len(p.lens))
		for j, l := range p.lens {
			e := make([]byte, l)
			for k := range e {
				e[k] = nextByte()
			}
			entries[j] = e
		}
		seg.bounds = append(seg.bounds, off)
		seg.frames = append(seg.frames, entries)
		seg.data = appendFrame(seg.data, lsn, synced, entries)
		lsn += uint64(len(entries))
	}
	seg.bounds = append(seg.bounds, len(seg.data))
	return seg
}

// name is the path scanSegment is given: a proper segment name, so that
// the check of the name against the header runs too.
func (s segment) name() string { return fmt.Sprintf("dir/%020d.wal", s.first) }

// entriesBefore returns the LSN and bytes of every entry in frames 0..k-1.
func (s segment) entriesBefore(k int) []entry {
	var es []entry
	lsn := s.first
	for _, f := range s.frames[:k] {
		for _, e := range f {
			es = append(es, entry{lsn, e})
			lsn++
		}
	}
	return es
}

// frameAt returns the index of the frame that holds offset d, -1 if d is in
// the segment header, or len(frames) if d is at or past the end.
func (s segment) frameAt(d int) int {
	if d < segmentHeaderSize {
		return -1
	}
	for k := range s.frames {
		if d < s.bounds[k+1] {
			return k
		}
	}
	return len(s.frames)
}

// entry is an entry as scanSegment returns it, in a comparable shape.
type entry struct {
	lsn  uint64
	data []byte
}

func scanEntries(scan segmentScan) []entry {
	es := make([]entry, len(scan.Entries))
	for i, e := range scan.Entries {
		es[i] = entry{e.LSN, e.Data}
	}
	return es
}

// hasPrefix reports whether got starts with want.
func hasPrefix(got, want []entry) bool {
	if len(got) < len(want) {
		return false
	}
	for i := range want {
		if got[i].lsn != want[i].lsn || !bytes.Equal(got[i].data, want[i].data) {
			return false
		}
	}
	return true
}

func sameEntries(got, want []entry) bool { return len(got) == len(want) && hasPrefix(got, want) }

// Mutations FuzzScanSegment applies to the valid segment (op modulo
// numMutations).
const (
	mutNone      = iota // the segment as built
	mutTruncate         // cut at at
	mutFlip             // invert bit span%8 of byte at
	mutZeroRange        // zero span%64+1 bytes from at
	mutZeroTail         // zero every byte from at on
	mutPatch            // overwrite from at with patch, clipped to the image
	numMutations
)

// mutate applies mutation op to a copy of data; at is taken modulo the
// image's length (plus one for a cut).
func mutate(data []byte, op uint8, at, span uint32, patch []byte) []byte {
	m := bytes.Clone(data)
	if len(m) == 0 {
		return m
	}
	i := int(at % uint32(len(m)))
	switch op % numMutations {
	case mutTruncate:
		return m[:at%uint32(len(m)+1)]
	case mutFlip:
		m[i] ^= 1 << (span % 8)
	case mutZeroRange:
		clear(m[i:min(len(m), i+int(span%64)+1)])
	case mutZeroTail:
		clear(m[i:])
	case mutPatch:
		copy(m[i:], patch)
	}
	return m
}

// firstDiff returns the first offset where m differs from data (len(m) if
// m is a strict prefix of it), or -1 if they are equal.
func firstDiff(data, m []byte) int {
	for i := range m {
		if m[i] != data[i] {
			return i
		}
	}
	if len(m) < len(data) {
		return len(m)
	}
	return -1
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// checkScanSegment is the body of FuzzScanSegment: it builds a valid
// segment, checks that it scans whole, mutates it, and checks what
// scanSegment makes of the mutated image against what the mutation can
// explain.
func checkScanSegment(t *testing.T, first uint64, shape, content []byte, op uint8, at, span uint32, patch []byte) {
	seg := buildSegment(first, shape, content)
	name := seg.name()
	all := seg.entriesBefore(len(seg.frames))
	for _, last := range []bool{true, false} {
		scan, err := scanSegment(name, seg.data, last, seg.first)
		if err != nil {
			t.Fatalf("valid segment (last=%v): %v", last, err)
		}
		if scan.TornAt != -1 || scan.FirstLSN != seg.first || !sameEntries(scanEntries(scan), all) {
			t.Fatalf("valid segment (last=%v): TornAt %d, FirstLSN %d (want %d), %d entries (want %d)",
				last, scan.TornAt, scan.FirstLSN, seg.first, len(scan.Entries), len(all))
		}
	}

	m := mutate(seg.data, op, at, span, patch)
	scan, err := scanSegment(name, m, true, seg.first)
	checkScanSane(t, name, m, true, seg.first, scan, err)
	d := firstDiff(seg.data, m)
	if d < 0 {
		if err != nil || scan.TornAt != -1 || !sameEntries(scanEntries(scan), all) {
			t.Fatalf("unchanged segment: err %v, TornAt %d, %d entries", err, scan.TornAt, len(scan.Entries))
		}
		return
	}

	// Frames wholly before the first changed byte are intact; the frame
	// holding it (or the header) is the damaged one.
	k := seg.frameAt(d)
	intact := seg.entriesBefore(max(k, 0))
	wantTorn := int64(0)
	if k >= 0 {
		wantTorn = int64(seg.bounds[k])
	}
	if d == len(m) && k >= 0 && d == seg.bounds[k] {
		wantTorn = -1 // cut exactly between frames: the segment is whole
	}
	// Damage that is only a cut or zeros to the end is what a torn write
	// leaves: it is a torn tail, never corruption.
	tornWrite := allZero(m[d:])

	if err != nil {
		if tornWrite {
			t.Fatalf("op %d: a torn write (first change at %d, then only zeros or the end of %d bytes) is an error: %v",
				op%numMutations, d, len(m), err)
		}
		if errors.Is(err, ErrVersion) && d >= 12 {
			t.Fatalf("ErrVersion while the version field is intact (first change at %d): %v", d, err)
		}
		return
	}
	got := scanEntries(scan)
	if scan.TornAt == wantTorn && sameEntries(got, intact) {
		return
	}
	// Only a forged frame (or header) at the damaged offset, which passes
	// both checksums, explains anything else.
	forged := false
	if k < 0 {
		forged = len(m) >= segmentHeaderSize &&
			bytes.Equal(m[:segmentHeaderSize], appendSegmentHeader(nil, le.Uint64(m[16:24])))
	} else {
		_, _, ferr := decodeFrame(m[seg.bounds[k]:])
		forged = ferr == nil
	}
	if forged && hasPrefix(got, intact) {
		t.Logf("forged frame at the damaged offset: TornAt %d, %d entries", scan.TornAt, len(got))
		return
	}
	t.Fatalf("op %d, first change at %d (frame %d): TornAt %d, want %d; %d entries, want the %d before the damage (prefix: %v)",
		op%numMutations, d, k, scan.TornAt, wantTorn, len(got), len(intact), hasPrefix(got, intact))
}

// checkScanSane checks what scanSegment returns for any image: errors are
// classified and placed; a scan starts at expect (or anywhere if expect is
// 0) unless its header is torn, has contiguous LSNs, is never torn unless
// last, and cutting it at TornAt leaves a whole segment with the same
// entries.
func checkScanSane(t *testing.T, name string, data []byte, last bool, expect uint64, scan segmentScan, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
			t.Fatalf("last=%v: error is neither ErrCorrupt nor ErrVersion: %v", last, err)
		}
		var ce *CorruptError
		if errors.As(err, &ce) && (ce.File != name || ce.Offset < 0 || ce.Offset > int64(len(data))) {
			t.Fatalf("last=%v: CorruptError names %q at offset %d, image %q of %d bytes", last, ce.File, ce.Offset, name, len(data))
		}
		return
	}
	if scan.TornAt < -1 || scan.TornAt > int64(len(data)) {
		t.Fatalf("last=%v: TornAt %d outside the image of %d bytes", last, scan.TornAt, len(data))
	}
	if !last && scan.TornAt != -1 {
		t.Fatalf("a segment that is not the last has a torn tail at %d", scan.TornAt)
	}
	if scan.TornAt == 0 {
		if scan.FirstLSN != 0 || len(scan.Entries) != 0 {
			t.Fatalf("torn header, yet FirstLSN %d and %d entries", scan.FirstLSN, len(scan.Entries))
		}
		return
	}
	if scan.FirstLSN == 0 || expect != 0 && scan.FirstLSN != expect {
		t.Fatalf("last=%v: FirstLSN %d, expect %d", last, scan.FirstLSN, expect)
	}
	if scan.TornAt > 0 && scan.TornAt < segmentHeaderSize {
		t.Fatalf("TornAt %d inside a header that was accepted", scan.TornAt)
	}
	for i, e := range scan.Entries {
		if e.LSN != scan.FirstLSN+uint64(i) {
			t.Fatalf("entry %d has LSN %d, want %d", i, e.LSN, scan.FirstLSN+uint64(i))
		}
	}
	if scan.TornAt > 0 {
		cut := data[:scan.TornAt]
		again, err := scanSegment(name, cut, false, expect)
		if err != nil {
			t.Fatalf("the image cut at TornAt %d does not scan: %v", scan.TornAt, err)
		}
		if again.TornAt != -1 || again.FirstLSN != scan.FirstLSN || !sameEntries(scanEntries(again), scanEntries(scan)) {
			t.Fatalf("the image cut at TornAt %d scans differently: TornAt %d, %d entries, was %d",
				scan.TornAt, again.TornAt, len(again.Entries), len(scan.Entries))
		}
	}
}

// FuzzScanSegment is the log replay target. From its arguments it builds a
// valid segment (the first LSN, the number of frames, entries per frame,
// entry lengths and growing Synced offsets from a shape string, the entry
// bytes from a content string), checks that it scans whole, then applies
// one mutation: a cut, a flipped bit, a range or the tail set to zero, or
// fuzz bytes written over a range. scanSegment on the result, as the last
// segment, must never panic; an error must be ErrCorrupt (a *CorruptError
// naming the file and an offset inside it) or ErrVersion, and ErrVersion
// only if the version field changed. Damage that is a cut or zeros to the
// end, which is what a torn write leaves, must never be an error. A
// success must return exactly the entries (LSNs and bytes) of the frames
// wholly before the first changed byte, with TornAt at the start of the
// damaged frame (0 if the damage is in the segment header, -1 if a cut
// falls between frames), unless a frame forged at that offset passes both
// checksums. See checkScanSegment.
func FuzzScanSegment(f *testing.F) {
	for _, s := range scanSegmentSeeds() {
		a := s.Args
		if a[3].(byte) == mutNone {
			f.Add(a[0].(uint64), a[1].([]byte), a[2].([]byte), a[3].(byte), a[4].(uint32), a[5].(uint32), a[6].([]byte))
		}
	}
	f.Fuzz(checkScanSegment)
}

// checkScanRaw is the body of FuzzScanSegmentRaw for one image.
func checkScanRaw(t *testing.T, data []byte) {
	const name = "raw.wal" // not a segment name: no LSN check against it
	whole, werr := scanSegment(name, data, false, 0)
	checkScanSane(t, name, data, false, 0, whole, werr)
	lastScan, lerr := scanSegment(name, data, true, 0)
	checkScanSane(t, name, data, true, 0, lastScan, lerr)
	switch {
	case lerr != nil && werr == nil:
		t.Fatalf("an error as the last segment (%v), none as an earlier one", lerr)
	case werr == nil:
		// A whole segment is whole wherever it is.
		if lastScan.TornAt != -1 || lastScan.FirstLSN != whole.FirstLSN ||
			!sameEntries(scanEntries(lastScan), scanEntries(whole)) {
			t.Fatalf("a whole segment scans differently as the last one: TornAt %d", lastScan.TornAt)
		}
	}
}

// FuzzScanSegmentRaw feeds arbitrary bytes to scanSegment, as the last
// segment and as an earlier one, and then the same bytes with the header
// and frame checksums made right, so that the fuzzer gets past CRC32C. It
// must never panic; errors are ErrCorrupt or ErrVersion; a scan has
// contiguous LSNs from its FirstLSN, TornAt -1 or within the image (never
// torn unless last; TornAt 0 with no entries and no FirstLSN), and cutting
// the image at TornAt leaves a whole segment with the same entries. An
// image that is whole as an earlier segment scans the same as the last
// one, and one refused as the last segment is refused as an earlier one.
func FuzzScanSegmentRaw(f *testing.F) {
	for _, s := range scanRawSeeds()[:8] {
		f.Add(s.Args[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanRaw(t, data)
		if fixed := fixSegment(data); !bytes.Equal(fixed, data) {
			checkScanRaw(t, fixed)
		}
	})
}
