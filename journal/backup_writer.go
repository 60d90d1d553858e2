package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// BackupWriter streams a backup (backup_format.go) to an io.Writer: the
// headers at once, then a record per Add, then the trailer on Close.
// Create one with NewBackupWriter. It is not safe for concurrent use.
//
// It gathers bytes in a buffer of about 1 MiB and hands them to the
// destination a buffer at a time. The first failure (a write that fails, a
// record too many or too few) is sticky: every later call returns it. A
// backup that was not closed, or whose Close failed, has no valid trailer,
// so a reader refuses it: nothing half written passes for a backup.
type BackupWriter struct {
	dst   io.Writer
	sum   bodySum       // over dst: the body's checksum and length
	buf   *bufio.Writer // over sum
	count uint64        // records promised
	added uint64        // records added so far
	err   error         // the sticky failure, if any
	done  bool          // closed
	size  int64         // the backup's size, once closed
	dl    bool          // the snapshot's records carry deadlines
}

// NewBackupWriter writes the headers of a backup of kind (the caller's: see
// backup_format.go) holding the image at lsn of count records to w, and
// returns a writer that expects exactly count calls to Add.
func NewBackupWriter(w io.Writer, kind uint32, lsn, count uint64) (*BackupWriter, error) {
	return newBackupWriter(w, kind, lsn, count, false)
}

// NewBackupWriterDeadlines starts a backup as NewBackupWriter does, whose
// snapshot's records carry deadlines (AddAt): see CreateSnapshotDeadlines.
func NewBackupWriterDeadlines(w io.Writer, kind uint32, lsn, count uint64) (*BackupWriter, error) {
	return newBackupWriter(w, kind, lsn, count, true)
}

func newBackupWriter(w io.Writer, kind uint32, lsn, count uint64, dl bool) (*BackupWriter, error) {
	head := appendBackupHeader(make([]byte, 0, BackupHeaderSize+snapshotHeaderSize), BackupVersion, kind)
	head = appendSnapshotHeader(head, headerVersion(dl), lsn, count)
	if _, err := w.Write(head); err != nil {
		return nil, fmt.Errorf("journal: write backup: %w", err)
	}
	b := &BackupWriter{dst: w, sum: bodySum{w: w}, count: count, dl: dl}
	b.buf = bufio.NewWriterSize(&b.sum, snapshotBuffer)
	return b, nil
}

// Add appends a record. The key and the value may be empty; Add does not
// keep them after it returns. It fails, and the writer with it, once count
// records have been added or a write fails.
func (b *BackupWriter) Add(key string, value []byte) error { return b.AddAt(key, value, 0) }

// AddAt appends a record with the deadline at (Unix ns; 0 for none). A
// deadline needs a writer made by NewBackupWriterDeadlines.
func (b *BackupWriter) AddAt(key string, value []byte, at int64) error {
	if b.err != nil {
		return b.err
	}
	if b.done || b.added == b.count {
		return b.fail(fmt.Errorf("journal: backup: more than the %d records promised", b.count))
	}
	b.added++
	var n [2 * binary.MaxVarintLen64]byte
	b.buf.Write(binary.AppendUvarint(n[:0], uint64(len(key))))
	b.buf.WriteString(key)
	b.buf.Write(binary.AppendUvarint(n[:0], uint64(len(value))))
	if at != 0 && !b.dl {
		return b.fail(errors.New("journal: backup: a deadline in a backup made without them"))
	}
	_, err := b.buf.Write(value)
	if b.dl {
		_, err = b.buf.Write(binary.AppendVarint(n[:0], at))
	}
	if err != nil { // bufio's errors are sticky: the last write's is enough
		return b.fail(fmt.Errorf("journal: write backup: %w", err))
	}
	return nil
}

// Written returns the bytes handed to the destination so far, headers
// included, and those gathered to be; after Close, the backup's size.
func (b *BackupWriter) Written() int64 {
	if b.size > 0 {
		return b.size
	}
	return int64(BackupHeaderSize + snapshotHeaderSize + b.sum.n + uint64(b.buf.Buffered()))
}

// Close checks that exactly count records were added, writes the rest of
// the body and the trailer, and returns the size of the backup. It does
// not close the destination. Close after Close returns an error.
func (b *BackupWriter) Close() (int64, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, errors.New("journal: backup: Close after Close")
	}
	b.done = true
	if b.added != b.count {
		return 0, b.fail(fmt.Errorf("journal: backup: %d records added, %d promised", b.added, b.count))
	}
	if err := b.buf.Flush(); err != nil {
		return 0, b.fail(fmt.Errorf("journal: write backup: %w", err))
	}
	if _, err := b.dst.Write(appendSnapshotTrailer(nil, b.sum.n, b.sum.sum)); err != nil {
		return 0, b.fail(fmt.Errorf("journal: write backup: %w", err))
	}
	b.size = int64(BackupHeaderSize+snapshotHeaderSize+b.sum.n) + snapshotTrailerSize
	return b.size, nil
}

// fail makes err the writer's sticky failure and returns it.
func (b *BackupWriter) fail(err error) error {
	b.err = err
	return err
}
