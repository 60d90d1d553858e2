package journal

import (
	"errors"
	"testing"

	"github.com/hurrahdb/hurrah/internal/cborhead"
	"github.com/hurrahdb/hurrah/internal/fuzzkit"
)

// Regressions: bugs the fuzz targets and their review found, each with the
// input that showed it, kept under testdata/bugs and replayed by the tests
// below through the same checks as the fuzz targets.

// bugSeeds returns the inputs of fixed bugs, by fuzz target; TestWriteCorpus
// writes them under testdata/bugs.
func bugSeeds() map[string][]fuzzkit.Seed {
	// A frame image, with a Synced offset past 32, inside an entry of the
	// first frame (at offset 32) of a segment whose write was cut short
	// after it.
	inner := appendFrame(nil, 1, 40, nil)
	content := append(inner, "padding.."...)
	return map[string][]fuzzkit.Seed{
		"FuzzScanSegment": {
			{Name: "embedded-frame-torn", Args: []any{uint64(1), []byte{1, 1, 0, byte(len(content))}, content, byte(mutTruncate), uint32(79), uint32(0), []byte(nil)}},
		},
	}
}

// TestTornFrameHoldingFrameImage: a torn write whose entry bytes hold a
// valid frame image is a torn tail, not corruption.
//
// scanSegment treats damage at X in the last segment as a torn tail unless
// syncedBeyond finds a later frame proving data beyond X was fsynced. It
// used to start looking at X+1, inside the damaged frame, where entries
// (and so the values users store, carried verbatim) may hold such an image;
// a write cut short after it made recovery refuse the directory.
func TestTornFrameHoldingFrameImage(t *testing.T) {
	t.Run("fuzz input", func(t *testing.T) {
		a := fuzzkit.ReadBug(t, "FuzzScanSegment", "embedded-frame-torn")
		checkScanSegment(t, a[0].(uint64), a[1].([]byte), a[2].([]byte), a[3].(byte), a[4].(uint32), a[5].(uint32), a[6].([]byte))
	})
	t.Run("set command", func(t *testing.T) {
		// A user's value that happens to hold a frame image claiming to be
		// synced to offset 33, just past the first frame's offset.
		value := append([]byte("some bytes, then "), appendFrame(nil, 1, segmentHeaderSize+1, nil)...)
		value = append(value, " and more"...)
		// The store's command setting "k" to it (store/codec.go draws the
		// layout): array(4) [op 1, bstr "k", bstr value, null].
		cmd := append([]byte{0x84, 0x01, 0x41, 'k'}, cborhead.Append(nil, majorBytes, uint64(len(value)))...)
		cmd = append(append(cmd, value...), 0xf6)
		data := appendSegmentHeader(nil, 1)
		data = appendFrame(data, 1, segmentHeaderSize, [][]byte{cmd})
		torn := data[:len(data)-3] // the write of the frame stopped short
		scan, err := scanSegment("00000000000000000001.wal", torn, true, 1)
		if err != nil || scan.TornAt != segmentHeaderSize {
			t.Fatalf("a torn write scans as TornAt %d, err %v; want a torn tail at %d", scan.TornAt, err, segmentHeaderSize)
		}
	})
}

// TestForgedFrameImagesInTornValue: a torn write of a value made of frame
// images (headers that pass their own checksum) is handled without searching
// inside it. With the torn frame's header intact, the frame's declared
// extent is trusted and the search for later frames never enters it (this
// used to cost time quadratic in the value's size); with that header damaged
// too, the search gives up after a bounded number of forged candidates and
// reports corruption, the safe answer, rather than scanning for ever.
func TestForgedFrameImagesInTornValue(t *testing.T) {
	forgedValue := func(size int) []byte {
		fake := forgeFrame(uint32(size/2), frameEntries, nil)
		value := make([]byte, 0, size)
		for len(value)+len(fake) <= size {
			value = append(value, fake...)
		}
		return value
	}
	value := forgedValue(1 << 20)
	data := appendFrame(appendSegmentHeader(nil, 1), 1, segmentHeaderSize, [][]byte{value})

	torn := data[:len(data)-1] // the write stopped one byte short
	scan, err := scanSegment("x.wal", torn, true, 1)
	if err != nil || scan.TornAt != segmentHeaderSize {
		t.Fatalf("torn frame with intact header: TornAt %d, err %v; want TornAt %d", scan.TornAt, err, segmentHeaderSize)
	}

	damaged := append([]byte(nil), torn...)
	damaged[segmentHeaderSize+2] ^= 0xff // the frame's own header is hit too
	_, err = scanSegment("x.wal", damaged, true, 1)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged header over forged frame images: err %v; want ErrCorrupt (the bounded search gives up safely)", err)
	}
}
