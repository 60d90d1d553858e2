package journal

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// Backups. A backup is a stream (a file, a pipe, a socket) holding the
// image of a store at one LSN: a short header of its own, saying which
// kind of store the image is of, then one snapshot exactly as a snapshot
// file holds it (snapshot_format.go), then nothing. Restoring one is
// checking every byte of it and writing the snapshot, byte for byte, into
// a new directory under its snapshot name: the store then opens from it as
// from any snapshot, and its journal continues at the next LSN. (Or, for a
// store in memory, loading its records as they are read: Records.)
//
// Every constant below is part of the wire format: changing one makes
// existing backups unreadable, so a change needs a new BackupVersion. All
// integers are little-endian:
//
//	backup header (24 bytes)
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|                      magic "HURBKUP\x00" (8)                          |  0
//	+-----------------------------------+-----------------------------------+
//	|          version uint32 (=1)      |           kind uint32             |  8
//	+-----------------------------------+-----------------------------------+
//	|   CRC32C of bytes 0..16 uint32    |           zero (4)                | 16
//	+-----------------------------------+-----------------------------------+
//
//	then a snapshot (40-byte header, body, 16-byte trailer), as in a
//	snapshot file, starting at byte 24; the stream ends with its trailer.
//
// The kind is the caller's: this package stores it and hands it back, and
// knows nothing of what it means. hurrah writes 1 for a key-value store
// (DB) and 2 for a System (whose directory the SYSTEM file marks), and
// refuses any other kind with ErrVersion, as written by a newer version.
// The backup's version and the snapshot's are separate: a reader checks
// each header's checksum before it trusts the version in it, and refuses a
// newer one of either with ErrVersion.
const (
	// BackupVersion is the backup format version this package writes. It
	// reads this version and refuses newer ones with ErrVersion. Every
	// version, this one and those to come, starts its backups with a
	// 24-byte header holding BackupMagic at bytes 0..8, the version at
	// 8..12 and the CRC32C of bytes 0..16 at 16..20.
	BackupVersion = 1
	// BackupHeaderSize is the size of a backup header: the snapshot starts
	// at this offset of the stream.
	BackupHeaderSize = 24
)

// BackupMagic opens every backup.
var BackupMagic = [8]byte{'H', 'U', 'R', 'B', 'K', 'U', 'P', 0}

// appendBackupHeader appends the header of a backup of the given version
// and kind, and returns the extended slice.
func appendBackupHeader(dst []byte, version, kind uint32) []byte {
	start := len(dst)
	dst = append(dst, BackupMagic[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, version)
	dst = binary.LittleEndian.AppendUint32(dst, kind)
	dst = binary.LittleEndian.AppendUint32(dst, checksum(dst[start:start+16]))
	return binary.LittleEndian.AppendUint32(dst, 0)
}

// bodySum is an io.Writer that passes snapshot body bytes on to w,
// keeping their CRC32C and their count. The backup writer and reader both
// put a bufio.Writer in front of one, so the checksum runs over whole
// buffers, not record by record.
type bodySum struct {
	w   io.Writer
	sum uint32 // CRC32C of the bytes written so far
	n   uint64 // bytes written so far
}

// Write implements io.Writer. Bytes that w did not take are not counted.
func (b *bodySum) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.sum = crc32.Update(b.sum, castagnoli, p[:n])
	b.n += uint64(n)
	return n, err
}
