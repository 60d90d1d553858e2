package journal

import (
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// The on-disk format. Every constant in this file is part of the wire format:
// changing one makes existing directories unreadable, so a change needs a new
// version (segmentVersion).
//
// A journal directory holds segment files named after the LSN of their first
// entry, as 20 decimal digits ("%020d.wal", so that names sort like LSNs),
// plus the LOCK file, any ".torn" files recovery has set aside, any
// ".corrupt" files Repair has set aside, snapshot files (snapshot_format.go)
// and, once a journal has been closed cleanly, one empty clean-close marker
// named "CLOSED-" and the last LSN as 20 digits (closed.go). The marker
// came with no new version: a build that does not know it ignores it, as it
// ignores every file it does not name, and a directory without one (from
// such a build) is opened as before, unchecked.
//
// Each segment is a header followed by frames, all integers little-endian:
//
//	segment header (32 bytes)
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|                       magic "HURRAHWL" (8)                            |  0
//	+-----------------------------------+-----------------------------------+
//	|          version uint32 (=1)      |           zero (4)                |  8
//	+-----------------------------------+-----------------------------------+
//	|                      first LSN uint64                                 | 16
//	+-----------------------------------+-----------------------------------+
//	|             zero (4)              |  CRC32C of bytes 0..28 uint32     | 24
//	+-----------------------------------+-----------------------------------+
//
//	frame (16-byte header, then the payload)
//	+-----------------------------------+--------+--------------------------+
//	|   payload length uint32           |  type  |        zero (3)          |  0
//	+-----------------------------------+--------+--------------------------+
//	|   CRC32C of payload uint32        |  CRC32C of bytes 0..12 uint32     |  8
//	+-----------------------------------+-----------------------------------+
//	|   payload (length bytes) ...                                          | 16
//	+-----------------------------------------------------------------------+
//
// The header checksum covers the length and type, so recovery can test any
// offset for the start of a frame without trusting a length first.
//
// The payload of a frame of type frameEntries is CBOR with definite lengths
// only:
//
//	array(3) [ uint firstLSN, uint synced, array(n) [ bstr, bstr, ... ] ]
//
// Entry i carries LSN firstLSN+i. synced is the offset in this segment up to
// which an fsync had completed when the frame was written (at least
// segmentHeaderSize, because a segment's header is fsynced when the segment is
// created). Recovery uses it to tell a torn tail (damage after the synced
// offset) from corruption (damage in data that had been made durable).
//
// Why the payload is CBOR while the headers are fixed binary: the store
// encodes its commands and values in CBOR, with the same library, so one
// encoding runs through what the store keeps; CBOR is self-describing (a
// frame dumped by a tool reads without this package) and, with definite
// lengths only, every item says its size before its bytes, so a reader
// bounds what it allocates by the frame it holds. The frame header, which
// recovery probes at arbitrary offsets, stays fixed-size binary, so that
// it is checked before anything in it is trusted.
const (
	// segmentMagic opens every segment file.
	segmentMagic = "HURRAHWL"
	// segmentVersion is the segment format version this package writes. It reads
	// this version and refuses newer ones with ErrVersion. Every version,
	// this one and those to come, starts its segments with a 32-byte
	// header holding the magic at bytes 0..8, the version at 8..12 and the
	// CRC32C of bytes 0..28 at 28..32, so that a reader checks a header
	// before it trusts the version: a torn header can hold any number.
	segmentVersion = 1
	// segmentHeaderSize is the size of a segment header.
	segmentHeaderSize = 32
	// frameHeaderSize is the size of a frame header.
	frameHeaderSize = 16
	// frameEntries is the type of a frame that carries entries. Type 0 and
	// all other values are invalid.
	frameEntries uint8 = 1
	// maxPayload is the largest payload a frame may declare. A longer
	// length field is invalid, whatever its checksums say.
	maxPayload = 512 << 20
	// splitPayload is the payload size above which the writer splits the
	// entries of one write into several frames, at entry boundaries and
	// preferably at parcel boundaries. It is a writer's choice, not a limit
	// on what readers accept.
	splitPayload = 4 << 20
	// MaxEntry is the largest entry the journal accepts: one such entry
	// alone in a frame stays within maxPayload.
	MaxEntry = maxPayload - payloadOverhead

	// payloadOverhead bounds the CBOR bytes of a payload that are not
	// entry data: the array(3) head, two uints, the array(n) head and one
	// byte-string head (9 bytes at most each).
	payloadOverhead = 1 + 9 + 9 + 9 + 9

	segmentSuffix = ".wal"
	segmentDigits = 20
	tornSuffix    = ".torn"
	lockName      = "LOCK"
)

// castagnoli is the CRC32C table used for every checksum in the format.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum returns the CRC32C of b.
func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// segmentName returns the file name of the segment whose first entry has LSN
// first.
func segmentName(first uint64) string {
	return fmt.Sprintf("%0*d%s", segmentDigits, first, segmentSuffix)
}

// parseSegmentName returns the LSN in a segment file name: exactly 20 digits
// followed by ".wal". Anything else is not a segment.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok {
		return 0, false
	}
	return parseLSNDigits(digits)
}

// parseLSNDigits parses the LSN in a file name: exactly 20 decimal digits.
func parseLSNDigits(digits string) (uint64, bool) {
	if len(digits) != segmentDigits {
		return 0, false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	lsn, err := strconv.ParseUint(digits, 10, 64)
	if err != nil { // more than fits in 64 bits
		return 0, false
	}
	return lsn, true
}
