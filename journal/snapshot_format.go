package journal

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Snapshot files. A snapshot is the image of the store at one LSN: a list of
// records, each a key and a value, both opaque byte strings (the journal
// knows nothing of what they hold). It lives in the journal directory,
// beside the segments, named after its LSN as "snap-" and 20 decimal digits
// and ".hsnap" (see snapshotName), so that names sort like LSNs.
//
// A snapshot is written to "<name>.tmp", fsynced, closed, renamed to its
// name, and the directory is fsynced (SnapshotWriter). A file under its
// final name is therefore complete; a ".tmp" file is the remains of a
// snapshot that never finished, and Open removes it. Only
// once a snapshot at LSN n is durable may the segments it covers be removed
// (CompactSegments with upto n).
//
// Every constant below is part of the wire format: changing one makes
// existing snapshots unreadable, so a change needs a new snapshotVersion.
// All integers are little-endian:
//
//	snapshot header (40 bytes)
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|                      magic "HURSNAP\x00" (8)                          |  0
//	+-----------------------------------+-----------------------------------+
//	|        version uint32 (1 or 2)    |           zero (4)                |  8
//	+-----------------------------------+-----------------------------------+
//	|                           LSN uint64                                  | 16
//	+-----------------------------------+-----------------------------------+
//	|                      record count uint64                              | 24
//	+-----------------------------------+-----------------------------------+
//	|   CRC32C of bytes 0..32 uint32    |           zero (4)                | 32
//	+-----------------------------------+-----------------------------------+
//
//	body: count records, one after the other, each
//	+----------------------+-------+------------------------+---------+----------------+
//	| uvarint len(key)     |  key  | uvarint len(value)     |  value  | varint deadline|
//	+----------------------+-------+------------------------+---------+----------------+
//	(the deadline in version 2 only)
//
//	snapshot trailer (16 bytes), after the body
//	+-----------------------------------+-----------------------------------+
//	|                     body length uint64                                |  0
//	+-----------------------------------+-----------------------------------+
//	|   CRC32C of the body uint32       |  CRC32C of bytes 0..12 uint32     |  8
//	+-----------------------------------+-----------------------------------+
//
// The uvarints are those of encoding/binary (7 bits a byte, low bits
// first); a writer uses the shortest form, a reader accepts any that fits in
// 64 bits. The deadline, in version 2, is the record's expiry time in Unix
// nanoseconds as an encoding/binary varint (zigzag: 0 is one byte), 0 for
// none. A writer writes version 2 only when asked to (a store that has
// deadlines), so a store that never uses expiry writes the version 1
// files older builds read; a reader reads both. A key or a value may be empty. The body holds exactly count
// records and nothing else; the trailer is the last 16 bytes of the file.
// The checksums are CRC32C (Castagnoli), like those of the segments.
const (
	// snapshotVersion is the snapshot format version this package writes.
	// It reads this version and refuses newer ones with ErrVersion. Every
	// version, this one and those to come, starts its snapshots with a
	// 40-byte header holding snapshotMagic at bytes 0..8, the version at
	// 8..12 and the CRC32C of bytes 0..32 at 32..36, so that a reader checks
	// a header before it trusts the version: a damaged header can hold any
	// number. Version 2 adds a deadline to each record.
	snapshotVersion = 2
	// snapshotPlain is the version without deadlines, which a writer
	// still writes when no record has one.
	snapshotPlain = 1
	// snapshotHeaderSize is the size of a snapshot header.
	snapshotHeaderSize = 40
	// snapshotTrailerSize is the size of a snapshot trailer.
	snapshotTrailerSize = 16

	snapshotPrefix = "snap-"
	snapshotSuffix = ".hsnap"
	tempSuffix     = ".tmp"
	// snapshotBuffer is how many bytes a SnapshotWriter gathers before it
	// writes them with one write; a longer key or value is written on its
	// own, never copied.
	snapshotBuffer = 1 << 20
)

// snapshotMagic opens every snapshot file.
var snapshotMagic = [8]byte{'H', 'U', 'R', 'S', 'N', 'A', 'P', 0}

// snapshotName returns the file name (not a path) of the snapshot at LSN
// lsn: "snap-", the LSN as 20 decimal digits, and ".hsnap". A snapshot being
// written is named that plus ".tmp".
func snapshotName(lsn uint64) string {
	return fmt.Sprintf("%s%0*d%s", snapshotPrefix, segmentDigits, lsn, snapshotSuffix)
}

// parseSnapshotName returns the LSN in a snapshot file name: exactly "snap-",
// 20 digits and ".hsnap". Anything else is not a snapshot.
func parseSnapshotName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, snapshotPrefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, snapshotSuffix)
	if !ok {
		return 0, false
	}
	return parseLSNDigits(digits)
}

// appendSnapshotHeader appends the header of a snapshot at lsn holding count
// records, of format version version, and returns the extended slice.
func appendSnapshotHeader(dst []byte, version uint32, lsn, count uint64) []byte {
	start := len(dst)
	dst = append(dst, snapshotMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, version)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, lsn)
	dst = binary.LittleEndian.AppendUint64(dst, count)
	dst = binary.LittleEndian.AppendUint32(dst, checksum(dst[start:start+32]))
	return binary.LittleEndian.AppendUint32(dst, 0)
}

// appendSnapshotTrailer appends the trailer of a body of length bytes whose
// CRC32C is sum, and returns the extended slice.
func appendSnapshotTrailer(dst []byte, length uint64, sum uint32) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, length)
	dst = binary.LittleEndian.AppendUint32(dst, sum)
	return binary.LittleEndian.AppendUint32(dst, checksum(dst[start:start+12]))
}

// headerVersion is the version of a snapshot whose records carry
// deadlines if dl.
func headerVersion(dl bool) uint32 {
	if dl {
		return snapshotVersion
	}
	return snapshotPlain
}
