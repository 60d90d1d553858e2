package journal

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// appendSegmentHeader appends to dst the header of a segment whose first
// entry has LSN firstLSN, and returns the extended slice.
func appendSegmentHeader(dst []byte, firstLSN uint64) []byte {
	start := len(dst)
	dst = append(dst, segmentMagic...)
	dst = binary.LittleEndian.AppendUint32(dst, segmentVersion)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, firstLSN)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return binary.LittleEndian.AppendUint32(dst, checksum(dst[start:start+28]))
}

// readHeader checks the header at the start of a segment image and returns
// its first LSN. damage is set when the header is damaged in a way a torn
// write explains (too short, wrong magic, checksum mismatch); err is set
// when it is wrong in a way no torn write explains (a newer version, or
// invalid fields under a valid checksum).
//
// The checksum is checked before the version is trusted: every version
// keeps the magic, the version and the header checksum where they are (see
// segmentVersion), and a torn header can hold any version number.
func readHeader(name string, data []byte) (first uint64, damage string, err error) {
	if len(data) < len(segmentMagic) || string(data[:len(segmentMagic)]) != segmentMagic {
		return 0, "bad segment magic", nil
	}
	if len(data) < segmentHeaderSize {
		return 0, "segment header cut short", nil
	}
	if checksum(data[:28]) != binary.LittleEndian.Uint32(data[28:32]) {
		return 0, "segment header checksum mismatch", nil
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v > segmentVersion {
		return 0, "", fmt.Errorf("%w: %s has version %d, this build reads up to %d", ErrVersion, name, v, segmentVersion)
	}
	corrupt := func(reason string) (uint64, string, error) {
		return 0, "", &CorruptError{File: name, Offset: 0, Reason: reason}
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v != segmentVersion {
		return corrupt(fmt.Sprintf("segment header has version %d", v))
	}
	if binary.LittleEndian.Uint32(data[12:16]) != 0 || binary.LittleEndian.Uint32(data[24:28]) != 0 {
		return corrupt("reserved segment header bytes are not zero")
	}
	first = binary.LittleEndian.Uint64(data[16:24])
	if first == 0 {
		return corrupt("segment header has first LSN 0")
	}
	return first, "", nil
}

// segmentScan is what scanSegment found in a segment image.
type segmentScan struct {
	// FirstLSN is the first LSN the segment header gives; 0 if the header
	// itself is torn (TornAt == 0).
	FirstLSN uint64
	// Entries are the entries of every valid frame before TornAt (or in
	// the whole segment), in LSN order from FirstLSN. Their Data alias the
	// image given to scanSegment.
	Entries []handoff.Entry
	// frames locates the valid frames, in order.
	frames []frameLoc
	// TornAt is the offset where a torn tail begins, or -1 if the segment
	// is whole. Everything from TornAt on is to be cut off; 0 means the
	// header itself is torn and the whole file is to be set aside.
	TornAt int64
}

// frameLoc locates one valid frame of a scanned segment.
type frameLoc struct {
	Offset   int64  // of the frame header in the file
	FirstLSN uint64 // of its first entry
	Entries  int    // how many entries it holds
}

// frameOf returns the frame holding the entry with LSN lsn.
func (s *segmentScan) frameOf(lsn uint64) (frameLoc, bool) {
	i := sort.Search(len(s.frames), func(i int) bool {
		return s.frames[i].FirstLSN+uint64(s.frames[i].Entries) > lsn
	})
	if i < len(s.frames) && s.frames[i].FirstLSN <= lsn {
		return s.frames[i], true
	}
	return frameLoc{}, false
}

// scanSegment validates data, the whole image of the segment file name, and
// returns its entries. It is pure: it reads nothing but data and changes
// nothing.
//
// name is used in errors; if its base name is a segment name, the LSN in it
// must equal the header's first LSN. expect is the LSN the segment must start
// with, or 0 to accept any (the caller checks the first segment against its
// own lower bound). last says whether this is the newest segment, the only
// one allowed a torn tail.
//
// A frame whose checksums pass but whose contents are invalid, or whose
// first LSN does not continue the previous frame, is a *CorruptError. A
// damaged frame (or header) at offset X is a *CorruptError in a segment
// that is not the last. In the last segment it is a torn tail (TornAt = X)
// unless some later offset holds a fully valid frame whose Synced offset is
// beyond X: then the damage is in data that had been fsynced, and that is a
// *CorruptError too. A segment from a newer format version gives an error
// wrapping ErrVersion.
func scanSegment(name string, data []byte, last bool, expect uint64) (segmentScan, error) {
	var next uint64 // LSN the frame at the damage would have started with
	damaged := func(scan segmentScan, x int64, reason string) (segmentScan, error) {
		if !last {
			return segmentScan{}, &CorruptError{File: name, Offset: x, Reason: reason}
		}
		if syncedBeyond(data, x, next) {
			return segmentScan{}, &CorruptError{File: name, Offset: x,
				Reason: "damaged record before synced data (" + reason + ")"}
		}
		scan.TornAt = x
		return scan, nil
	}

	first, damage, err := readHeader(name, data)
	if err != nil {
		return segmentScan{}, err
	}
	if damage != "" {
		return damaged(segmentScan{}, 0, damage)
	}
	if lsn, ok := parseSegmentName(filepath.Base(name)); ok && lsn != first {
		return segmentScan{}, &CorruptError{File: name, Offset: 0,
			Reason: fmt.Sprintf("segment header gives first LSN %d, its name %d", first, lsn)}
	}
	if expect != 0 && first != expect {
		return segmentScan{}, &CorruptError{File: name, Offset: 0,
			Reason: fmt.Sprintf("gap: segment starts at LSN %d, want %d", first, expect)}
	}

	scan := segmentScan{FirstLSN: first, TornAt: -1}
	next = first
	for off := segmentHeaderSize; off < len(data); {
		f, n, err := decodeFrame(data[off:])
		if err != nil {
			if isDamage(err) {
				return damaged(scan, int64(off), err.Error())
			}
			return segmentScan{}, &CorruptError{File: name, Offset: int64(off), Reason: err.Error()}
		}
		if f.FirstLSN != next {
			return segmentScan{}, &CorruptError{File: name, Offset: int64(off),
				Reason: fmt.Sprintf("gap: frame starts at LSN %d, want %d", f.FirstLSN, next)}
		}
		scan.frames = append(scan.frames, frameLoc{Offset: int64(off), FirstLSN: f.FirstLSN, Entries: len(f.Entries)})
		scan.Entries = entriesRoom(scan.Entries, len(f.Entries), off+n, len(data)) // see scanroom.go
		for i, e := range f.Entries {
			scan.Entries = append(scan.Entries, handoff.Entry{LSN: next + uint64(i), Data: e})
		}
		next += uint64(len(f.Entries))
		off += n
	}
	return scan, nil
}

// maxForgedCandidates bounds how many offsets scanCandidates checks in full
// (both checksums) without finding a real frame. Random bytes pass the header
// checksum once in 2^32 tries, so reaching the bound means the damaged region
// holds deliberate frame images, as stored values may; the scan then gives
// up, and its callers take the safe side: syncedBeyond reports corruption
// (Repair is the way out) where guessing "torn" could hide lost durable data.
const maxForgedCandidates = 64

// scanCandidates searches data, from offset start on, for frames that fully
// verify and decode, and calls fn with the offset of each one it finds, in
// order, until fn returns true. It tries every offset, the cheap tests first
// (type and reserved bytes, then the header checksum), skips the extent of
// each frame it finds (a verified frame hides no other frame), and gives up
// after maxForgedCandidates headers that verify over payloads that do not.
// It reports whether it gave up; it reports false when fn stopped it or the
// data ran out.
func scanCandidates(data []byte, start int64, fn func(off int64, f decodedFrame) (stop bool)) (exhausted bool) {
	forged := 0
	for off := start; off+frameHeaderSize <= int64(len(data)); off++ {
		b := data[off:]
		if b[4] != frameEntries || b[5]|b[6]|b[7] != 0 {
			continue
		}
		if _, ok := frameExtent(b); !ok {
			continue
		}
		f, n, err := decodeFrame(b)
		if err != nil {
			// A header that verifies over a payload that does not: either
			// a frame torn in turn or a forged image. Each costs a pass
			// over its declared length, hence the bound.
			if forged++; forged >= maxForgedCandidates {
				return true
			}
			continue
		}
		if fn(off, f) {
			return false
		}
		off += int64(n) - 1 // a verified frame hides no other frame
	}
	return false
}

// syncedBeyond reports whether the damage at x is followed by a real frame
// that proves data beyond x had been fsynced: a frame that fully verifies
// and decodes, continues the log (its first LSN is at least next, the LSN
// the damaged frame would have started with), and whose Synced offset is
// beyond x but not beyond its own offset (a real frame is written after the
// fsync it records). A search that gives up (see scanCandidates) counts as
// such a frame.
//
// If the damaged frame's own header verifies, its length is trusted: a frame
// that runs past the end is a plain cut write with nothing after it, and
// otherwise the search starts after its extent, so entry bytes inside it
// (which may hold anything, frame images included) are never mistaken for
// later frames. Only when the header itself is damaged does the search start
// at x+1.
func syncedBeyond(data []byte, x int64, next uint64) bool {
	start := x + 1
	if length, ok := frameExtent(data[x:]); ok {
		end := x + frameHeaderSize + length
		if end > int64(len(data)) {
			return false // a write cut short: nothing follows it
		}
		start = end
	}
	found := false
	exhausted := scanCandidates(data, start, func(off int64, f decodedFrame) bool {
		found = f.FirstLSN >= next && f.Synced > uint64(x) && f.Synced <= uint64(off)
		return found
	})
	return found || exhausted
}
