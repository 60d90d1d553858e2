package journal

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
)

// Reading a backup's records: CopySnapshot copies them, as bytes, to a
// snapshot file; Records hands them, decoded, to a caller that loads them
// itself (hurrah.OpenBackup). Both read them with each, which checks them
// as decodeSnapshot checks a snapshot file's.

// CopyOptions tune CopySnapshot and Records.
type CopyOptions struct {
	// KeyRequired refuses a record with an empty key as corrupt (a
	// key-value store never holds one).
	KeyRequired bool
	// Progress, if set, is called every few thousand records and once at
	// the end with the records and the bytes of the stream read so far.
	Progress func(records uint64, read int64)
}

// progressEvery is how many records CopySnapshot and Records read between
// calls to Progress and looks at their context.
const progressEvery = 4096

// ErrStopped is returned by Records when its yield returned false: the
// rest of the backup was not read, so nothing says what was yielded is
// whole.
var ErrStopped = errors.New("journal: backup: the reading of the records was stopped")

// CopySnapshot reads the rest of the backup, checks all of it, and writes
// the snapshot it holds to w, byte for byte as a snapshot file holds it.
// It returns the bytes written. On error w holds a part of the snapshot
// that no reader accepts (it has no trailer, or the wrong one): the caller
// is to throw it away. It checks ctx every few thousand records. It, or
// Records, may be called once.
func (b *BackupReader) CopySnapshot(ctx context.Context, w io.Writer, opts CopyOptions) (int64, error) {
	if err := b.use(); err != nil {
		return 0, err
	}
	if _, err := w.Write(b.head); err != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	// A failed write ends the copy at once (a full disk need not wait for
	// the rest of the stream): out's error is sticky, so the write that
	// fails and every later one return it.
	out := bufio.NewWriterSize(w, snapshotBuffer)
	b.spill = func(p []byte) error { _, err := out.Write(p); return err } // see take
	var werr error
	tr, body, err := b.each(ctx, opts, func(r *backupRecord) bool {
		_, werr = out.Write(r.raw)
		return werr == nil
	})
	if werr != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, werr)
	}
	if err != nil {
		return 0, err
	}
	if err := out.Flush(); err != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	if _, err := w.Write(tr[:]); err != nil {
		return 0, fmt.Errorf("journal: restore backup %s: %w", b.name, err)
	}
	return int64(snapshotHeaderSize+body) + snapshotTrailerSize, nil
}

// Records reads the rest of the backup, checks all of it as CopySnapshot
// does, and calls yield with each record in turn: its key, its value, and
// its deadline (Unix ns; 0 for none, and for every record of a backup
// without deadlines: see BackupInfo.Deadlines). key and value are valid
// only until yield returns. The checksum of the records is checked after
// the last one is yielded, so a caller keeps nothing of them unless
// Records returns nil. If yield returns false, Records returns ErrStopped
// at once. It checks ctx every few thousand records. It, or CopySnapshot,
// may be called once.
func (b *BackupReader) Records(ctx context.Context, opts CopyOptions, yield func(key, value []byte, at int64) bool) error {
	if err := b.use(); err != nil {
		return err
	}
	_, _, err := b.each(ctx, opts, func(r *backupRecord) bool {
		return yield(r.raw[r.key[0]:r.key[1]], r.raw[r.value[0]:r.value[1]], r.at)
	})
	return err
}

// use marks b as read; it refuses a second reading.
func (b *BackupReader) use() error {
	if b.used {
		return errors.New("journal: backup: its records read twice")
	}
	b.used = true
	return nil
}

// backupRecord is a record read by each: its bytes as the snapshot holds
// them, where its key and value are in them, and its deadline. With a
// spill (CopySnapshot), raw holds only what take did not spill, and key
// and value mean nothing.
type backupRecord struct {
	raw        []byte
	key, value [2]int // [start, end) in raw
	at         int64
}

// each reads every record of the snapshot, checking it, and calls do with
// it, then reads and checks the trailer and that the stream ends there. It
// returns the trailer and the size of the body. If do returns false it
// returns ErrStopped.
func (b *BackupReader) each(ctx context.Context, opts CopyOptions, do func(*backupRecord) bool) (tr [snapshotTrailerSize]byte, body uint64, err error) {
	if err := ctx.Err(); err != nil {
		return tr, 0, err
	}
	var r backupRecord
	for i := uint64(0); i < b.info.Count; i++ {
		if i%progressEvery == 0 && i > 0 {
			if err := ctx.Err(); err != nil {
				return tr, 0, err
			}
			if opts.Progress != nil {
				opts.Progress(i, b.in.off)
			}
		}
		if err := b.record(i, &r, opts.KeyRequired); err != nil {
			return tr, 0, err
		}
		b.tally(r.raw)
		if !do(&r) {
			return tr, 0, ErrStopped
		}
	}
	if tr, err = b.trailer(b.sum, b.body); err != nil {
		return tr, 0, err
	}
	if opts.Progress != nil {
		opts.Progress(b.info.Count, b.in.off)
	}
	return tr, b.body, nil
}

// tally adds p, bytes of the body as read, to its checksum and its size.
func (b *BackupReader) tally(p []byte) {
	b.sum = crc32.Update(b.sum, castagnoli, p)
	b.body += uint64(len(p))
}

// record reads record i into r, checking its lengths. r.raw reuses b.rec.
func (b *BackupReader) record(i uint64, r *backupRecord, keyRequired bool) error {
	at := b.in.off
	b.rec = b.rec[:0]
	for field := range 2 { // the key, then the value
		n, ok, err := b.uvarint()
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
		start := len(b.rec)
		if err := b.take(n); err != nil {
			return b.readErr(err, at, i)
		}
		if field == 0 {
			r.key = [2]int{start, len(b.rec)}
		} else {
			r.value = [2]int{start, len(b.rec)}
		}
	}
	r.at = 0
	if b.info.Deadlines {
		start := len(b.rec)
		switch _, ok, err := b.uvarint(); { // a zigzag varint is a uvarint's bytes
		case err != nil:
			return b.readErr(err, at, i)
		case !ok:
			return b.corrupt(at, "record %d: bad deadline at offset %d", i, b.in.off)
		}
		r.at, _ = binary.Varint(b.rec[start:])
	}
	r.raw = b.rec
	return nil
}

// take appends the next n bytes of the stream to b.rec. It grows b.rec as
// the bytes come, so a length that claims more than the stream holds costs
// no more memory than the stream does. With a spill (CopySnapshot), it
// hands b.rec on to it, counted (tally), whenever it holds a step: the
// snapshot is copied to disk a step at a time, so that a long record, or
// a damaged length that claims the rest of the stream, takes no more.
func (b *BackupReader) take(n uint64) error {
	const step = 1 << 20
	for n > 0 {
		c := int(min(n, step))
		if b.spill != nil && len(b.rec) >= step {
			b.tally(b.rec)
			if err := b.spill(b.rec); err != nil {
				return err
			}
			b.rec = b.rec[:0]
		}
		b.rec = slices.Grow(b.rec, c)
		got, err := io.ReadFull(&b.in, b.rec[len(b.rec):len(b.rec)+c])
		b.rec = b.rec[:len(b.rec)+got]
		if err != nil {
			return err
		}
		n -= uint64(c)
	}
	return nil
}

// uvarint reads a uvarint (any form that fits in 64 bits, as
// binary.Uvarint accepts) and appends its bytes to b.rec. ok is false if
// it does not fit.
func (b *BackupReader) uvarint() (n uint64, ok bool, err error) {
	var shift uint
	for i := range binary.MaxVarintLen64 {
		c, err := b.in.ReadByte()
		if err != nil {
			return 0, false, err
		}
		b.rec = append(b.rec, c)
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
// the stream ended, or a read, or a spill's write, failed.
func (b *BackupReader) readErr(err error, at int64, i uint64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return b.corrupt(b.in.off, "backup cut short in record %d (at offset %d)", i, at)
	}
	return fmt.Errorf("journal: restore backup %s: %w", b.name, err)
}

// trailer reads the snapshot trailer, checks it against sum and size (the
// CRC32C and the size of the body read) and that the stream ends there,
// and returns it.
func (b *BackupReader) trailer(sum uint32, size uint64) (tr [snapshotTrailerSize]byte, err error) {
	at := b.in.off
	if err := b.full(tr[:], "the snapshot trailer"); err != nil {
		return tr, err
	}
	le := binary.LittleEndian
	switch {
	case checksum(tr[:12]) != le.Uint32(tr[12:16]):
		return tr, b.corrupt(at, "snapshot trailer checksum mismatch (truncated or damaged)")
	case le.Uint64(tr[0:8]) != size:
		return tr, b.corrupt(at, "snapshot trailer gives a body of %d bytes, the backup holds %d", le.Uint64(tr[0:8]), size)
	case le.Uint32(tr[8:12]) != sum:
		return tr, b.corrupt(BackupHeaderSize+snapshotHeaderSize, "snapshot body checksum mismatch")
	}
	if _, err := b.in.ReadByte(); err == nil {
		return tr, b.corrupt(b.in.off-1, "bytes after the end of the backup")
	} else if !errors.Is(err, io.EOF) {
		return tr, fmt.Errorf("journal: read backup %s: %w", b.name, err)
	}
	return tr, nil
}
