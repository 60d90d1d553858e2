package journal

import (
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Reading a snapshot file: decodeSnapshot checks an image against the
// format (snapshot_format.go) and Records walks what it validated.

// Snapshot is a snapshot file decoded and fully validated by decodeSnapshot
// (which Open and Repair call on every snapshot they read).
type Snapshot struct {
	// Path is the path it was read from (the name given to decodeSnapshot).
	Path string
	// LSN is the LSN whose state it holds: every entry up to it applied.
	LSN uint64
	// Count is the number of records.
	Count uint64
	// Size is the size of the file.
	Size int64
	// Deadlines says whether its records carry deadlines (format version
	// 2); RecordsAt yields them.
	Deadlines bool

	body []byte // the records, validated
}

// decodeSnapshot validates data, the whole image of a snapshot file, and
// returns it. name is used in errors and as Path; if its base name is a
// snapshot name, the LSN in it must equal the header's. It checks, in
// order: that a header is there, the magic, the header checksum (before the
// version is trusted), the version (a newer one gives an error wrapping
// ErrVersion that names the file), the reserved bytes, that a trailer is
// there, the trailer checksum, that the body length the trailer gives is the
// length of the body, the body checksum, and finally that the body is
// exactly Count records, each length fitting in what is left. Any other
// failure is a *CorruptError (ErrCorrupt) with the file and the offset of
// what is wrong.
//
// It is pure and never panics. It allocates the Snapshot and nothing in
// proportion to what the lengths and the count claim; the records alias
// data.
func decodeSnapshot(name string, data []byte) (*Snapshot, error) {
	corrupt := func(off int, format string, args ...any) (*Snapshot, error) {
		return nil, &CorruptError{File: name, Offset: int64(off), Reason: fmt.Sprintf(format, args...)}
	}
	le := binary.LittleEndian
	if len(data) < snapshotHeaderSize {
		return corrupt(0, "snapshot header cut short (%d bytes)", len(data))
	}
	if [8]byte(data[:8]) != snapshotMagic {
		return corrupt(0, "bad snapshot magic")
	}
	if checksum(data[:32]) != le.Uint32(data[32:36]) {
		return corrupt(0, "snapshot header checksum mismatch")
	}
	v := le.Uint32(data[8:12])
	if v > snapshotVersion {
		return nil, fmt.Errorf("%w: snapshot %s has version %d, this build reads up to %d", ErrVersion, name, v, snapshotVersion)
	} else if v < snapshotPlain {
		return corrupt(0, "snapshot header has version %d", v)
	}
	dl := v == snapshotVersion
	if le.Uint32(data[12:16]) != 0 || le.Uint32(data[36:40]) != 0 {
		return corrupt(0, "reserved snapshot header bytes are not zero")
	}
	lsn, count := le.Uint64(data[16:24]), le.Uint64(data[24:32])
	if n, ok := parseSnapshotName(filepath.Base(name)); ok && n != lsn {
		return corrupt(0, "snapshot header gives LSN %d, its name %d", lsn, n)
	}
	if len(data) < snapshotHeaderSize+snapshotTrailerSize {
		return corrupt(len(data), "snapshot truncated: no room for the trailer")
	}
	end := len(data) - snapshotTrailerSize // of the body
	tr := data[end:]
	if checksum(tr[:12]) != le.Uint32(tr[12:16]) {
		return corrupt(end, "snapshot trailer checksum mismatch (truncated or damaged)")
	}
	if l := le.Uint64(tr[0:8]); l != uint64(end-snapshotHeaderSize) {
		return corrupt(end, "snapshot trailer gives a body of %d bytes, the file holds %d", l, end-snapshotHeaderSize)
	}
	body := data[snapshotHeaderSize:end]
	if checksum(body) != le.Uint32(tr[8:12]) {
		return corrupt(snapshotHeaderSize, "snapshot body checksum mismatch")
	}

	// Every record takes at least two bytes, so the loop ends with the
	// body whatever count claims.
	off := 0
	for i := uint64(0); i < count; i++ {
		if off == len(body) {
			return corrupt(snapshotHeaderSize+off, "snapshot body ends after %d records of %d", i, count)
		}
		at := off
		for range 2 { // the key, then the value
			n, k := binary.Uvarint(body[off:])
			if k <= 0 {
				return corrupt(snapshotHeaderSize+at, "record %d: bad length at offset %d", i, snapshotHeaderSize+off)
			}
			off += k
			if n > uint64(len(body)-off) {
				return corrupt(snapshotHeaderSize+at, "record %d: length %d runs past the body", i, n)
			}
			off += int(n)
		}
		if dl {
			if _, k := binary.Varint(body[off:]); k <= 0 {
				return corrupt(snapshotHeaderSize+at, "record %d: bad deadline at offset %d", i, snapshotHeaderSize+off)
			} else {
				off += k
			}
		}
	}
	if off != len(body) {
		return corrupt(snapshotHeaderSize+off, "%d bytes after the last of %d records", len(body)-off, count)
	}
	return &Snapshot{Path: name, LSN: lsn, Count: count, Size: int64(len(data)), Deadlines: dl, body: body}, nil
}

// readSnapshot reads the snapshot file path and decodes it (decodeSnapshot).
func readSnapshot(fsys vfs.FS, path string) (*Snapshot, error) {
	data, err := fsys.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: read snapshot %s: %w", path, err)
	}
	return decodeSnapshot(path, data)
}

// Records yields every record, in file order, until yield returns false; it
// is a range function (for key, value := range s.Records). key and value
// alias the file image: they must not be modified, and are clipped, so
// appending to one copies it. It cannot fail: decodeSnapshot validated
// every record.
func (s *Snapshot) Records(yield func(key, value []byte) bool) {
	for k, v := range s.RecordsAt {
		if !yield(k, v.Value) {
			return
		}
	}
}

// Value is a record's value and its deadline (Unix ns; 0 for none).
type Value struct {
	Value []byte
	At    int64
}

// RecordsAt yields every record as Records does, with its deadline: 0
// for every record of a snapshot without deadlines.
func (s *Snapshot) RecordsAt(yield func(key []byte, v Value) bool) {
	b := s.body
	next := func() []byte {
		n, k := binary.Uvarint(b)
		field := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		return field
	}
	for range s.Count {
		key := next()
		v := Value{Value: next()}
		if s.Deadlines {
			var k int
			v.At, k = binary.Varint(b)
			b = b[k:]
		}
		if !yield(key, v) {
			return
		}
	}
}
