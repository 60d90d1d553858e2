package journal

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// BackupInfo is what a backup's headers say.
type BackupInfo struct {
	Kind  uint32 // the caller's kind, as given to NewBackupWriter
	LSN   uint64 // the LSN of the image: every entry up to it applied
	Count uint64 // the number of records
}

// BackupReader reads a backup (backup_format.go) from a stream, checking
// every byte as it goes. NewBackupReader reads and checks the headers;
// CopySnapshot then reads the rest, checks it and copies the snapshot it
// holds to a destination. A BackupReader reads the stream once and is not
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
	used bool   // CopySnapshot was called
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

// CopyOptions tune CopySnapshot.
type CopyOptions struct {
	// KeyRequired refuses a record with an empty key as corrupt (a
	// key-value store never holds one).
	KeyRequired bool
	// Progress, if set, is called every few thousand records and once at
	// the end with the records and the bytes of the stream read so far.
	Progress func(records uint64, read int64)
}

// progressEvery is how many records CopySnapshot reads between calls to
// Progress and looks at its context.
const progressEvery = 4096

// CopySnapshot reads the rest of the backup, checks all of it, and writes
// the snapshot it holds to w, byte for byte as a snapshot file holds it.
// It returns the bytes written. On error w holds a part of the snapshot
// that no reader accepts (it has no trailer, or the wrong one): the caller
// is to throw it away. It checks ctx every few thousand records. It may be
// called once.
func (b *BackupReader) CopySnapshot(ctx context.Context, w io.Writer, opts CopyOptions) (int64, error) {
	if b.used {
		return 0, errors.New("journal: backup: CopySnapshot called twice")
	}
	b.used = true
	if _, err := w.Write(b.head); err != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	sum := bodySum{w: w}
	out := bufio.NewWriterSize(&sum, snapshotBuffer)
	for i := uint64(0); i < b.info.Count; i++ {
		if i%progressEvery == 0 && i > 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if opts.Progress != nil {
				opts.Progress(i, b.in.off)
			}
		}
		if err := b.record(i, out, opts.KeyRequired); err != nil {
			return 0, err
		}
	}
	if err := out.Flush(); err != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	if err := b.trailer(sum, w); err != nil {
		return 0, err
	}
	if opts.Progress != nil {
		opts.Progress(b.info.Count, b.in.off)
	}
	return int64(snapshotHeaderSize+sum.n) + snapshotTrailerSize, nil
}

// record reads record i, checking its lengths, and writes it to out.
func (b *BackupReader) record(i uint64, out *bufio.Writer, keyRequired bool) error {
	at := b.in.off
	for field := range 2 { // the key, then the value
		n, ok, err := b.uvarint(out)
		switch {
		case err != nil:
			return b.readErr(err, at, i)
		case !ok:
			return b.corrupt(at, "record %d: bad length at offset %d", i, b.in.off)
		case n > math.MaxInt64:
			return b.corrupt(at, "record %d: length %d runs past any backup", i, n)
		case n == 0 && field == 0 && keyRequired:
			return b.corrupt(at, "record %d has an empty key", i)
		}
		if _, err := io.CopyN(out, &b.in, int64(n)); err != nil {
			return b.readErr(err, at, i)
		}
	}
	if binary.LittleEndian.Uint32(b.head[8:12]) == snapshotVersion {
		// The deadline: a zigzag varint is a uvarint's bytes.
		switch _, ok, err := b.uvarint(out); {
		case err != nil:
			return b.readErr(err, at, i)
		case !ok:
			return b.corrupt(at, "record %d: bad deadline at offset %d", i, b.in.off)
		}
	}
	return nil
}

// uvarint reads a uvarint (any form that fits in 64 bits, as
// binary.Uvarint accepts) and writes its bytes to out. ok is false if it
// does not fit. A failed write to out shows at out's next Flush.
func (b *BackupReader) uvarint(out *bufio.Writer) (n uint64, ok bool, err error) {
	var shift uint
	for i := range binary.MaxVarintLen64 {
		c, err := b.in.ReadByte()
		if err != nil {
			return 0, false, err
		}
		out.WriteByte(c)
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, false, nil
			}
			return n | uint64(c)<<shift, true, nil
		}
		n |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, false, nil
}

// readErr classifies err, met reading record i (starting at offset at):
// the stream ended, or a read or a write failed.
func (b *BackupReader) readErr(err error, at int64, i uint64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return b.corrupt(b.in.off, "backup cut short in record %d (at offset %d)", i, at)
	}
	return fmt.Errorf("journal: restore backup %s: %w", b.name, err)
}

// trailer reads the snapshot trailer, checks it against sum (the body
// read) and that the stream ends there, and writes it to w.
func (b *BackupReader) trailer(sum bodySum, w io.Writer) error {
	at := b.in.off
	var tr [snapshotTrailerSize]byte
	if err := b.full(tr[:], "the snapshot trailer"); err != nil {
		return err
	}
	le := binary.LittleEndian
	switch {
	case checksum(tr[:12]) != le.Uint32(tr[12:16]):
		return b.corrupt(at, "snapshot trailer checksum mismatch (truncated or damaged)")
	case le.Uint64(tr[0:8]) != sum.n:
		return b.corrupt(at, "snapshot trailer gives a body of %d bytes, the backup holds %d", le.Uint64(tr[0:8]), sum.n)
	case le.Uint32(tr[8:12]) != sum.sum:
		return b.corrupt(BackupHeaderSize+snapshotHeaderSize, "snapshot body checksum mismatch")
	}
	if _, err := b.in.ReadByte(); err == nil {
		return b.corrupt(b.in.off-1, "bytes after the end of the backup")
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("journal: read backup %s: %w", b.name, err)
	}
	if _, err := w.Write(tr[:]); err != nil {
		return fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	return nil
}
