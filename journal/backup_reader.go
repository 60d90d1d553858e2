package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// BackupInfo is what a backup's headers say.
type BackupInfo struct {
	Kind  uint32 // the caller's kind, as given to NewBackupWriter
	LSN   uint64 // the LSN of the image: every entry up to it applied
	Count uint64 // the number of records
	// Deadlines says whether the records carry deadlines (the snapshot's
	// format version 2), as Snapshot.Deadlines does.
	Deadlines bool
}

// BackupReader reads a backup (backup_format.go) from a stream, checking
// every byte as it goes. NewBackupReader reads and checks the headers;
// CopySnapshot then reads the rest, checks it and copies the snapshot it
// holds to a destination, or Records hands its records to the caller
// (backup_records.go). A BackupReader reads the stream once and is not
// safe for concurrent use.
//
// What the stream holds is judged as decodeSnapshot judges a snapshot
// file, so a backup the reader accepts is a snapshot Open accepts. Damage
// is a *CorruptError (ErrCorrupt) naming the backup and the offset in the
// stream; a header of a newer format an error wrapping ErrVersion; a
// failed read is returned as it is.
type BackupReader struct {
	name string // for errors
	in   streamCounter
	info BackupInfo
	head []byte // the snapshot header, as read
	used bool   // CopySnapshot or Records was called
	rec  []byte // the record being read (backup_records.go)
	// The body read so far: its CRC32C and size (tally); and where
	// CopySnapshot copies a long record as it is read (take).
	sum   uint32
	body  uint64
	spill func([]byte) error
}

// streamCounter reads from a buffered stream, counting the bytes read.
type streamCounter struct {
	r   *bufio.Reader
	off int64 // bytes read so far: the offset in the stream
}

// Read implements io.Reader.
func (c *streamCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

// ReadByte implements io.ByteReader.
func (c *streamCounter) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.off++
	}
	return b, err
}

// NewBackupReader reads and checks the headers of the backup r holds; name
// stands for r in errors (a path, or "backup"). Nothing after the headers
// is read yet.
func NewBackupReader(r io.Reader, name string) (*BackupReader, error) {
	b := &BackupReader{name: name, in: streamCounter{r: bufio.NewReaderSize(r, 64<<10)}}
	var hb [BackupHeaderSize + snapshotHeaderSize]byte
	if err := b.full(hb[:BackupHeaderSize], "the backup header"); err != nil {
		return nil, err
	}
	if err := b.checkHeader(hb[:BackupHeaderSize]); err != nil {
		return nil, err
	}
	b.info.Kind = binary.LittleEndian.Uint32(hb[12:16])
	b.head = hb[BackupHeaderSize:]
	if err := b.full(b.head, "the snapshot header"); err != nil {
		return nil, err
	}
	if err := b.checkSnapshotHeader(b.head); err != nil {
		return nil, err
	}
	b.info.LSN, b.info.Count = binary.LittleEndian.Uint64(b.head[16:24]), binary.LittleEndian.Uint64(b.head[24:32])
	b.info.Deadlines = binary.LittleEndian.Uint32(b.head[8:12]) == snapshotVersion
	return b, nil
}

// Info returns what the headers say.
func (b *BackupReader) Info() BackupInfo { return b.info }

// Read returns the bytes of the stream read so far.
func (b *BackupReader) Read() int64 { return b.in.off }

// corrupt returns the *CorruptError of the backup at off.
func (b *BackupReader) corrupt(off int64, format string, args ...any) error {
	return &CorruptError{File: b.name, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// full fills p from the stream; a stream that ends first is corrupt at
// the offset where it ends.
func (b *BackupReader) full(p []byte, what string) error {
	_, err := io.ReadFull(&b.in, p)
	switch {
	case err == nil:
		return nil
	case b.in.off == 0 && errors.Is(err, io.EOF):
		return b.corrupt(0, "empty: not a hurrah backup")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return b.corrupt(b.in.off, "backup cut short in %s", what)
	}
	return fmt.Errorf("journal: read backup %s: %w", b.name, err)
}

// checkHeader checks the backup header h: the magic, its checksum, then
// the version and the reserved bytes.
func (b *BackupReader) checkHeader(h []byte) error {
	le := binary.LittleEndian
	switch {
	case [8]byte(h[:8]) != BackupMagic:
		return b.corrupt(0, "bad magic: not a hurrah backup")
	case checksum(h[:16]) != le.Uint32(h[16:20]):
		return b.corrupt(0, "backup header checksum mismatch")
	case le.Uint32(h[8:12]) > BackupVersion:
		return fmt.Errorf("%w: %s: backup format version %d, this build reads up to %d",
			ErrVersion, b.name, le.Uint32(h[8:12]), BackupVersion)
	case le.Uint32(h[8:12]) != BackupVersion:
		return b.corrupt(0, "backup header has version %d", le.Uint32(h[8:12]))
	case le.Uint32(h[20:24]) != 0:
		return b.corrupt(0, "reserved backup header bytes are not zero")
	}
	return nil
}

// checkSnapshotHeader checks the snapshot header h, at BackupHeaderSize in
// the stream, as decodeSnapshot does.
func (b *BackupReader) checkSnapshotHeader(h []byte) error {
	le := binary.LittleEndian
	switch {
	case [8]byte(h[:8]) != snapshotMagic:
		return b.corrupt(BackupHeaderSize, "bad snapshot magic")
	case checksum(h[:32]) != le.Uint32(h[32:36]):
		return b.corrupt(BackupHeaderSize, "snapshot header checksum mismatch")
	case le.Uint32(h[8:12]) > snapshotVersion:
		return fmt.Errorf("%w: %s: the snapshot in it has format version %d, this build reads up to %d",
			ErrVersion, b.name, le.Uint32(h[8:12]), snapshotVersion)
	case le.Uint32(h[8:12]) < snapshotPlain:
		return b.corrupt(BackupHeaderSize, "snapshot header has version %d", le.Uint32(h[8:12]))
	case le.Uint32(h[12:16]) != 0 || le.Uint32(h[36:40]) != 0:
		return b.corrupt(BackupHeaderSize, "reserved snapshot header bytes are not zero")
	}
	return nil
}
