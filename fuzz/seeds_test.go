package fuzz_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// The seed inputs of every target. The first eight of each list are valid
// inputs, which the targets also add with f.Add; TestWriteCorpus writes all
// of them under testdata/fuzz.

// frameEntries is a small set of entries with every CBOR head size up to
// two bytes.
var frameEntries = [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{0xa5}, 23), bytes.Repeat([]byte("x"), 24)}

func decodeFrameSeeds() []seed {
	var seeds []seed
	add := func(name string, b []byte) { seeds = append(seeds, seed{name, []any{b}}) }
	ones := make([][]byte, 24)
	for i := range ones {
		ones[i] = []byte{byte(i)}
	}
	valid := journal.AppendFrame(nil, 7, 100, frameEntries)

	add("valid-empty", journal.AppendFrame(nil, 1, journal.HeaderSize, nil))
	add("valid-one", journal.AppendFrame(nil, 1, journal.HeaderSize, [][]byte{[]byte("hello")}))
	add("valid-heads", valid)
	add("valid-256", journal.AppendFrame(nil, 300, 70000, [][]byte{bytes.Repeat([]byte{1}, 256)}))
	add("valid-24-entries", journal.AppendFrame(nil, 1<<32, 1<<32, ones))
	add("valid-max-lsn", journal.AppendFrame(nil, math.MaxUint64-1, math.MaxUint64, [][]byte{[]byte("z")}))
	add("valid-trailing-bytes", append(bytes.Clone(valid), "after the frame"...))
	// Longer heads than needed: array(3) in one byte, LSN 1 in eight,
	// synced in two, the entry array in four, "hi" with a one-byte length.
	var p []byte
	p = cborHead(p, majorArray, 3, 1)
	p = cborHead(p, majorUint, 1, 8)
	p = cborHead(p, majorUint, 32, 2)
	p = cborHead(p, majorArray, 1, 4)
	p = append(cborHead(p, majorBytes, 2, 1), "hi"...)
	add("valid-long-heads", frameOf(p))

	for _, cut := range []int{0, 1, 8, 15, 16, 17, 25, len(valid) - 1} {
		add(fmt.Sprintf("cut-%d", cut), valid[:cut])
	}
	for _, at := range []int{0, 4, 5, 9, 13, 16, 20, len(valid) - 1} {
		add(fmt.Sprintf("flip-%d", at), flip(valid, at, at%8))
	}
	for _, at := range []int{0, 12, 16, 30} {
		add(fmt.Sprintf("zero-tail-%d", at), zeroTail(valid, at))
	}

	payload := func(first, synced uint64, rest ...byte) []byte {
		var p []byte
		p = cborHead(p, majorArray, 3, 0)
		p = cborHead(p, majorUint, first, 8)
		p = cborHead(p, majorUint, synced, 8)
		return append(p, rest...)
	}
	ok := payload(1, 32, 0x81, 0x41, 'k')
	add("type-0", rawFrame(uint32(len(ok)), 0, ok))
	add("type-2", rawFrame(uint32(len(ok)), 2, ok))
	reserved := rawFrame(uint32(len(ok)), journal.FrameEntries, ok)
	reserved[6] = 1
	add("reserved-byte", fixFrame(reserved))
	add("trailing-payload-byte", frameOf(append(bytes.Clone(ok), 0)))
	add("array-2", frameOf(append([]byte{0x82, 0x01, 0x18, 0x20}, 0x80)))
	add("array-4", frameOf(append([]byte{0x84, 0x01, 0x18, 0x20, 0x80}, 0x00)))
	add("indefinite-entries", frameOf(payload(1, 32, 0x9f, 0x41, 'k', 0xff)))
	add("indefinite-entry", frameOf(payload(1, 32, 0x81, 0x5f, 0x41, 'k', 0xff)))
	add("text-entry", frameOf(payload(1, 32, 0x81, 0x61, 'k')))
	add("negative-lsn", frameOf([]byte{0x83, 0x20, 0x18, 0x20, 0x80}))
	add("lsn-overflow", frameOf(payload(math.MaxUint64, 32, 0x81, 0x41, 'k')))

	// Fields that lie about sizes, in small inputs.
	add("length-ffffffff", rawFrame(0xffffffff, journal.FrameEntries, ok))
	add("length-max-payload", rawFrame(journal.MaxPayload, journal.FrameEntries, ok))
	add("length-over-max-payload", rawFrame(journal.MaxPayload+1, journal.FrameEntries, ok))
	add("count-2^31", frameOf(cborHead(payload(1, 32), majorArray, 1<<31, 4)))
	add("count-2^64-1", frameOf(cborHead(payload(1, 32), majorArray, math.MaxUint64, 8)))
	add("bytes-2^62", frameOf(cborHead(payload(1, 32, 0x81), majorBytes, 1<<62, 8)))
	add("count-equals-left", frameOf(append(payload(1, 32, 0x98, 6), 0x40, 0x40, 0x40, 0x40, 0x40, 0xf6)))
	return seeds
}

// commandSeeds are commands of every op with awkward keys and values.
func commandSeeds() []store.Command {
	return []store.Command{
		{Op: store.OpSet, Key: "k", Value: []byte("v")},
		{Op: store.OpSet, Key: "", Value: []byte{}},
		{Op: store.OpSet, Key: "\xff\xfe", Value: []byte{0, 0xff, 0xc3, 0x28}},
		{Op: store.OpDelete, Key: "k"},
		{Op: store.OpClear},
		{Op: store.OpBatch, Batch: []store.Mutation{{Op: store.OpSet, Key: "a", Value: []byte("1")}, {Op: store.OpDelete, Key: "b"}}},
		{Op: store.OpBatch, Batch: []store.Mutation{}},
		{Op: store.OpSet, Key: strings.Repeat("k", 30), Value: bytes.Repeat([]byte{7}, 300)},
	}
}

func decodeCommandSeeds() []seed {
	var seeds []seed
	add := func(name string, b []byte) { seeds = append(seeds, seed{name, []any{b}}) }
	names := []string{"set", "set-empty", "set-binary", "delete", "clear", "batch", "batch-empty", "set-long"}
	var encs [][]byte
	for i, c := range commandSeeds() {
		b, err := store.EncodeCommand(c)
		if err != nil {
			panic(err)
		}
		encs = append(encs, b)
		add("valid-"+names[i], b)
	}
	batch := encs[5]
	for _, cut := range []int{0, 1, 3, len(batch) / 2, len(batch) - 1} {
		add(fmt.Sprintf("cut-%d", cut), batch[:cut])
	}
	for _, at := range []int{0, 1, 2, 5, len(batch) - 2} {
		add(fmt.Sprintf("flip-%d", at), flip(batch, at, (at+5)%8))
	}
	for _, at := range []int{1, 4, 8} {
		add(fmt.Sprintf("zero-tail-%d", at), zeroTail(batch, at))
	}
	hexes := []struct{ name, hex string }{
		{"op-5", "85 05 41 6b f6 f6"},
		{"op-256", "84 19 0100 41 6b f6 f6"},
		{"key-invalid-utf8-text", "84 01 62 fffe f6 f6"},
		{"key-text", "84 01 61 6b 41 76 f6"},
		{"map", "a2 62 4f70 01 63 4b6579 41 6b"},
		{"indefinite", "9f 01 41 6b 41 76 f6 ff"},
		{"tagged-value", "84 01 41 6b d8 18 41 76 f6"},
		{"trailing", "84 03 f6 f6 f6 00"},
		{"array-2^31", "9a 80000000 01"},
		{"array-2^64-1", "9b ffffffffffffffff"},
		{"key-2^62", "84 01 5b 4000000000000000 6b"},
		{"batch-2^31", "84 04 f6 f6 9a 80000000 83 01 41 6b f6"},
		{"deep", strings.Repeat("81", 100) + "01"},
	}
	for _, h := range hexes {
		add(h.name, unhexString(h.hex))
	}
	return seeds
}

// unhexString decodes hex with spaces between groups.
func unhexString(s string) []byte {
	var b []byte
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, " ", ""), "%x", &b); err != nil {
		panic(err)
	}
	return b
}

// segmentShapes are shape arguments of FuzzScanSegment (see buildSegment)
// with the content each goes with.
var segmentShapes = []struct {
	name           string
	shape, content []byte
}{
	{"empty", []byte{0}, nil},
	{"one", []byte{1, 1, 0, 5}, []byte("value")},
	{"three", []byte{3, 2, 128, 4, 10, 0, 255, 3, 1, 0, 30, 2}, []byte("abcdefgh")},
	{"empty-frames", []byte{4, 0, 0, 1, 255, 7, 0, 0, 0, 1, 9}, nil},
	{"long-entry", []byte{2, 1, 60, 0xf0, 20, 1, 200, 3}, []byte{0, 0xff}},
	{"24-entries", append([]byte{1, 0xf8, 255}, bytes.Repeat([]byte{1}, 24)...), []byte("e")},
}

func scanSegmentSeeds() []seed {
	var seeds []seed
	add := func(name string, first uint64, shape, content []byte, op byte, at, span uint32, patch []byte) {
		seeds = append(seeds, seed{name, []any{first, shape, content, op, at, span, patch}})
	}
	firsts := []uint64{1, 7, 1 << 40, math.MaxUint64, 100, 2, 0, 3}
	for i, s := range segmentShapes {
		add("valid-"+s.name, firsts[i], s.shape, s.content, mutNone, 0, 0, nil)
	}
	add("valid-max-lsn", math.MaxUint64, segmentShapes[2].shape, nil, mutNone, 0, 0, nil)
	add("valid-first-0", 0, segmentShapes[1].shape, nil, mutNone, 0, 0, nil)

	for _, s := range segmentShapes[1:] {
		seg := buildSegment(1, s.shape, s.content)
		b := seg.bounds
		mid := (b[0] + b[1]) / 2
		last := b[len(b)-2]
		type mut struct {
			name    string
			op      byte
			at, spn int
		}
		muts := []mut{
			{"cut-header", mutTruncate, 20, 0},
			{"cut-boundary", mutTruncate, b[1], 0},
			{"cut-mid", mutTruncate, mid, 0},
			{"cut-last-header", mutTruncate, last + 9, 0},
			{"flip-header", mutFlip, 17, 3},
			{"flip-version", mutFlip, 10, 7},
			{"flip-first-frame", mutFlip, mid, 0},
			{"zero-range", mutZeroRange, b[0] + 4, 8},
			{"zero-tail", mutZeroTail, mid, 0},
			{"zero-tail-last", mutZeroTail, last + 1, 0},
			{"patch", mutPatch, mid, 0},
		}
		if s.name != "one" && s.name != "three" {
			muts = muts[:4]
		}
		for _, m := range muts {
			add(m.name+"-"+s.name, 1, s.shape, s.content, m.op, uint32(m.at), uint32(m.spn), []byte("\x00garbage\xff"))
		}
	}
	return seeds
}

func scanRawSeeds() []seed {
	var seeds []seed
	add := func(name string, b []byte) { seeds = append(seeds, seed{name, []any{b}}) }
	segs := map[string]segment{}
	for i, s := range segmentShapes {
		seg := buildSegment(uint64(i+1), s.shape, s.content)
		segs[s.name] = seg
		add("valid-"+s.name, seg.data)
	}
	three := segs["three"]
	add("valid-two-segments", append(bytes.Clone(three.data), segs["one"].data...))
	add("empty", nil)

	hdr := journal.AppendSegmentHeader(nil, 5)
	add("magic-only", []byte(journal.Magic))
	add("bad-magic", append([]byte("HURRAHWX"), hdr[8:]...))
	v2 := bytes.Clone(hdr)
	le.PutUint32(v2[8:12], 2)
	add("version-2", v2)
	add("version-2-fixed", fixSegment(v2))
	v0 := bytes.Clone(hdr)
	le.PutUint32(v0[8:12], 0)
	add("version-0-fixed", fixSegment(v0))
	res := bytes.Clone(hdr)
	res[13] = 1
	add("reserved-fixed", fixSegment(res))
	add("first-lsn-0", journal.AppendSegmentHeader(nil, 0))

	b := three.bounds
	for _, cut := range []int{0, 5, 31, b[1], (b[1] + b[2]) / 2, len(three.data) - 1} {
		add(fmt.Sprintf("cut-%d", cut), three.data[:cut])
	}
	add("flip-first-frame-synced-later", flip(three.data, b[0]+20, 1))
	add("flip-last-frame", flip(three.data, b[2]+20, 1))
	add("zero-tail", zeroTail(three.data, b[1]+3))
	add("garbage-tail", append(bytes.Clone(three.data), "garbage after the frames"...))

	// Frames whose checksums pass but whose contents are wrong.
	gap := journal.AppendSegmentHeader(nil, 1)
	gap = journal.AppendFrame(gap, 1, journal.HeaderSize, [][]byte{[]byte("a")})
	gap = journal.AppendFrame(gap, 5, journal.HeaderSize, [][]byte{[]byte("b")})
	add("lsn-gap", gap)
	add("first-lsn-mismatch", journal.AppendFrame(journal.AppendSegmentHeader(nil, 9), 8, 32, nil))
	add("lying-length", append(bytes.Clone(hdr), rawFrame(0xffffffff, journal.FrameEntries, nil)...))
	add("lying-count", append(bytes.Clone(hdr), frameOf(cborHead([]byte{0x83, 0x05, 0x18, 0x20}, majorArray, 1<<31, 4))...))
	// A torn frame followed by a valid frame that says it was synced past
	// it: corruption, not a torn tail.
	synced := journal.AppendSegmentHeader(nil, 1)
	synced = append(synced, rawFrame(100, journal.FrameEntries, []byte("torn"))...)
	synced = journal.AppendFrame(synced, 1, uint64(journal.HeaderSize+1), nil)
	add("synced-beyond-damage", synced)
	return seeds
}
