package journal

import (
	"bytes"
	"fmt"
	"math"

	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// The seed inputs of every target. The first eight of each list are valid
// inputs, which the targets also add with f.Add; TestWriteCorpus writes all
// of them under testdata/fuzz.

// seedEntries is a small set of entries with every CBOR head size up to
// two bytes.
var seedEntries = [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{0xa5}, 23), bytes.Repeat([]byte("x"), 24)}

func decodeFrameSeeds() []fuzzkit.Seed {
	var seeds []fuzzkit.Seed
	add := func(name string, b []byte) { seeds = append(seeds, fuzzkit.Seed{Name: name, Args: []any{b}}) }
	ones := make([][]byte, 24)
	for i := range ones {
		ones[i] = []byte{byte(i)}
	}
	valid := appendFrame(nil, 7, 100, seedEntries)

	add("valid-empty", appendFrame(nil, 1, segmentHeaderSize, nil))
	add("valid-one", appendFrame(nil, 1, segmentHeaderSize, [][]byte{[]byte("hello")}))
	add("valid-heads", valid)
	add("valid-256", appendFrame(nil, 300, 70000, [][]byte{bytes.Repeat([]byte{1}, 256)}))
	add("valid-24-entries", appendFrame(nil, 1<<32, 1<<32, ones))
	add("valid-max-lsn", appendFrame(nil, math.MaxUint64-1, math.MaxUint64, [][]byte{[]byte("z")}))
	add("valid-trailing-bytes", append(bytes.Clone(valid), "after the frame"...))
	// Longer heads than needed: array(3) in one byte, LSN 1 in eight,
	// synced in two, the entry array in four, "hi" with a one-byte length.
	var p []byte
	p = fuzzkit.Head(p, majorArray, 3, 1)
	p = fuzzkit.Head(p, majorUint, 1, 8)
	p = fuzzkit.Head(p, majorUint, 32, 2)
	p = fuzzkit.Head(p, majorArray, 1, 4)
	p = append(fuzzkit.Head(p, majorBytes, 2, 1), "hi"...)
	add("valid-long-heads", frameOf(p))

	for _, cut := range []int{0, 1, 8, 15, 16, 17, 25, len(valid) - 1} {
		add(fmt.Sprintf("cut-%d", cut), valid[:cut])
	}
	for _, at := range []int{0, 4, 5, 9, 13, 16, 20, len(valid) - 1} {
		add(fmt.Sprintf("flip-%d", at), fuzzkit.Flip(valid, at, at%8))
	}
	for _, at := range []int{0, 12, 16, 30} {
		add(fmt.Sprintf("zero-tail-%d", at), fuzzkit.ZeroTail(valid, at))
	}

	payload := func(first, synced uint64, rest ...byte) []byte {
		var p []byte
		p = fuzzkit.Head(p, majorArray, 3, 0)
		p = fuzzkit.Head(p, majorUint, first, 8)
		p = fuzzkit.Head(p, majorUint, synced, 8)
		return append(p, rest...)
	}
	ok := payload(1, 32, 0x81, 0x41, 'k')
	add("type-0", forgeFrame(uint32(len(ok)), 0, ok))
	add("type-2", forgeFrame(uint32(len(ok)), 2, ok))
	reserved := forgeFrame(uint32(len(ok)), frameEntries, ok)
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
	add("length-ffffffff", forgeFrame(0xffffffff, frameEntries, ok))
	add("length-max-payload", forgeFrame(maxPayload, frameEntries, ok))
	add("length-over-max-payload", forgeFrame(maxPayload+1, frameEntries, ok))
	add("count-2^31", frameOf(fuzzkit.Head(payload(1, 32), majorArray, 1<<31, 4)))
	add("count-2^64-1", frameOf(fuzzkit.Head(payload(1, 32), majorArray, math.MaxUint64, 8)))
	add("bytes-2^62", frameOf(fuzzkit.Head(payload(1, 32, 0x81), majorBytes, 1<<62, 8)))
	add("count-equals-left", frameOf(append(payload(1, 32, 0x98, 6), 0x40, 0x40, 0x40, 0x40, 0x40, 0xf6)))
	return seeds
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

func scanSegmentSeeds() []fuzzkit.Seed {
	var seeds []fuzzkit.Seed
	add := func(name string, first uint64, shape, content []byte, op byte, at, span uint32, patch []byte) {
		seeds = append(seeds, fuzzkit.Seed{Name: name, Args: []any{first, shape, content, op, at, span, patch}})
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

func scanRawSeeds() []fuzzkit.Seed {
	var seeds []fuzzkit.Seed
	add := func(name string, b []byte) { seeds = append(seeds, fuzzkit.Seed{Name: name, Args: []any{b}}) }
	segs := map[string]segment{}
	for i, s := range segmentShapes {
		seg := buildSegment(uint64(i+1), s.shape, s.content)
		segs[s.name] = seg
		add("valid-"+s.name, seg.data)
	}
	three := segs["three"]
	add("valid-two-segments", append(bytes.Clone(three.data), segs["one"].data...))
	add("empty", nil)

	hdr := appendSegmentHeader(nil, 5)
	add("magic-only", []byte(segmentMagic))
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
	add("first-lsn-0", appendSegmentHeader(nil, 0))

	b := three.bounds
	for _, cut := range []int{0, 5, 31, b[1], (b[1] + b[2]) / 2, len(three.data) - 1} {
		add(fmt.Sprintf("cut-%d", cut), three.data[:cut])
	}
	add("flip-first-frame-synced-later", fuzzkit.Flip(three.data, b[0]+20, 1))
	add("flip-last-frame", fuzzkit.Flip(three.data, b[2]+20, 1))
	add("zero-tail", fuzzkit.ZeroTail(three.data, b[1]+3))
	add("garbage-tail", append(bytes.Clone(three.data), "garbage after the frames"...))

	// Frames whose checksums pass but whose contents are wrong.
	gap := appendSegmentHeader(nil, 1)
	gap = appendFrame(gap, 1, segmentHeaderSize, [][]byte{[]byte("a")})
	gap = appendFrame(gap, 5, segmentHeaderSize, [][]byte{[]byte("b")})
	add("lsn-gap", gap)
	add("first-lsn-mismatch", appendFrame(appendSegmentHeader(nil, 9), 8, 32, nil))
	add("lying-length", append(bytes.Clone(hdr), forgeFrame(0xffffffff, frameEntries, nil)...))
	add("lying-count", append(bytes.Clone(hdr), frameOf(fuzzkit.Head([]byte{0x83, 0x05, 0x18, 0x20}, majorArray, 1<<31, 4))...))
	// A torn frame followed by a valid frame that says it was synced past
	// it: corruption, not a torn tail.
	synced := appendSegmentHeader(nil, 1)
	synced = append(synced, forgeFrame(100, frameEntries, []byte("torn"))...)
	synced = appendFrame(synced, 1, uint64(segmentHeaderSize+1), nil)
	add("synced-beyond-damage", synced)
	return seeds
}
