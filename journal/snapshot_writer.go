package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// SnapshotWriter writes a snapshot to a temporary file and, on Commit, puts
// it in place under its final name. Create one with CreateSnapshot, call Add
// once per record, then Commit, or Abort to give up. A SnapshotWriter is not
// safe for concurrent use.
//
// Records are gathered in a buffer of about 1 MiB that is written with one
// write when full, and the body checksum is kept as they come, so the
// records are read once. The first failure (a write that fails, a record
// too many) is sticky: the temporary file is closed and removed at once,
// and Add and Commit return that error from then on.
type SnapshotWriter struct {
	fsys  vfs.FS
	dir   string
	tmp   string // path of the temporary file
	final string // path of the snapshot
	f     vfs.File
	lsn   uint64
	count uint64 // records promised
	added uint64 // records added so far
	buf   []byte // gathered body bytes not yet written
	body  uint64 // body bytes so far, written or gathered
	sum   uint32 // CRC32C of the body so far
	err   error  // the sticky failure, if any
	done  bool   // committed, aborted or failed: the temp file is gone or renamed
	dl    bool   // version 2: each record carries a deadline
}

// CreateSnapshot starts the snapshot at LSN lsn of count records in dir: it
// creates dir/snapshotName(lsn)+".tmp", removing first a stale file of that
// name (the remains of an earlier attempt), writes the header, and returns a
// writer that expects exactly count calls to Add. A snapshot committed under
// the same name replaces the one there, if any (both are the image of the
// store at the same LSN).
func CreateSnapshot(fsys vfs.FS, dir string, lsn, count uint64) (*SnapshotWriter, error) {
	return createSnapshot(fsys, dir, lsn, count, false)
}

// CreateSnapshotDeadlines starts a snapshot as CreateSnapshot does, of the
// format version whose records carry deadlines (AddAt): older builds
// refuse it with ErrVersion, so use it only for a state that has some.
func CreateSnapshotDeadlines(fsys vfs.FS, dir string, lsn, count uint64) (*SnapshotWriter, error) {
	return createSnapshot(fsys, dir, lsn, count, true)
}

func createSnapshot(fsys vfs.FS, dir string, lsn, count uint64, dl bool) (*SnapshotWriter, error) {
	final := filepath.Join(dir, snapshotName(lsn))
	tmp := final + tempSuffix
	f, err := fsys.Create(tmp)
	if errors.Is(err, fs.ErrExist) {
		if err := fsys.Remove(tmp); err != nil {
			return nil, fmt.Errorf("journal: remove stale snapshot %s: %w", tmp, err)
		}
		f, err = fsys.Create(tmp)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: create snapshot %s: %w", tmp, err)
	}
	if _, err := f.Write(appendSnapshotHeader(nil, headerVersion(dl), lsn, count)); err != nil {
		f.Close()
		fsys.Remove(tmp)
		return nil, fmt.Errorf("journal: write snapshot %s: %w", tmp, err)
	}
	return &SnapshotWriter{fsys: fsys, dir: dir, tmp: tmp, final: final, f: f, lsn: lsn, count: count, dl: dl}, nil
}

// Add appends a record with no deadline to the snapshot. The key and the
// value may be empty; Add does not keep them after it returns. It fails,
// and the writer with it, if count records have already been added, if a
// write fails, or if the writer has failed, been committed or aborted.
func (w *SnapshotWriter) Add(key string, value []byte) error { return w.AddAt(key, value, 0) }

// AddAt appends a record with the deadline at (Unix ns; 0 for none), as
// Add does. A deadline needs a writer made by CreateSnapshotDeadlines:
// any other fails it.
func (w *SnapshotWriter) AddAt(key string, value []byte, at int64) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("journal: snapshot %s: Add after Commit or Abort", w.tmp)
	}
	if w.added == w.count {
		return w.fail(fmt.Errorf("journal: snapshot %s: more than the %d records promised", w.tmp, w.count))
	}
	w.added++
	w.putLen(len(key))
	putBytes(w, key)
	w.putLen(len(value))
	putBytes(w, value)
	switch {
	case w.dl:
		w.putDeadline(at)
	case at != 0:
		return w.fail(fmt.Errorf("journal: snapshot %s: a deadline in a snapshot made without them", w.tmp))
	}
	return w.err
}

// putDeadline adds the varint at to the body.
func (w *SnapshotWriter) putDeadline(at int64) {
	if len(w.buf)+binary.MaxVarintLen64 > snapshotBuffer {
		w.flush()
	}
	before := len(w.buf)
	w.buf = binary.AppendVarint(w.buf, at)
	w.body += uint64(len(w.buf) - before)
}

// putLen adds the uvarint n to the body.
func (w *SnapshotWriter) putLen(n int) {
	if len(w.buf)+binary.MaxVarintLen64 > snapshotBuffer {
		w.flush()
	}
	before := len(w.buf)
	w.buf = binary.AppendUvarint(w.buf, uint64(n))
	w.body += uint64(len(w.buf) - before)
}

// putBytes adds b to the body: to the buffer, or, if b alone fills it,
// written directly after what the buffer holds. On failure it fails the
// writer.
func putBytes[B ~string | ~[]byte](w *SnapshotWriter, b B) {
	if w.err != nil || len(b) == 0 {
		return
	}
	w.body += uint64(len(b))
	if len(w.buf)+len(b) > snapshotBuffer {
		w.flush()
		if len(b) >= snapshotBuffer {
			w.write([]byte(b))
			return
		}
	}
	w.buf = append(w.buf, b...)
}

// flush writes what the buffer holds.
func (w *SnapshotWriter) flush() {
	if len(w.buf) > 0 {
		w.write(w.buf)
		w.buf = w.buf[:0]
	}
}

// write adds b, body bytes, to the body's checksum and writes it to the
// file, failing the writer on error. The checksum runs over whole buffers,
// not record by record, which costs a quarter as many calls.
func (w *SnapshotWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	w.sum = crc32.Update(w.sum, castagnoli, b)
	if _, err := w.f.Write(b); err != nil {
		w.fail(fmt.Errorf("journal: write snapshot %s: %w", w.tmp, err))
	}
}

// fail makes err the writer's sticky failure, closes and removes the
// temporary file (best effort), and returns err.
func (w *SnapshotWriter) fail(err error) error {
	w.err = err
	w.discard()
	return err
}

// discard closes and removes the temporary file, once, ignoring errors:
// what it cleans up is already given up.
func (w *SnapshotWriter) discard() {
	if w.done {
		return
	}
	w.done = true
	w.buf = nil
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.fsys.Remove(w.tmp)
}

// Commit finishes the snapshot and puts it in place: it checks that exactly
// count records were added, writes the trailer, fsyncs and closes the
// temporary file, renames it to dir/snapshotName(lsn), and fsyncs dir. It
// returns the size of the file.
//
// On error the temporary file is removed (best effort) and no file is left
// under the final name, with one exception: if the rename was done but the
// fsync of dir failed, the snapshot stays in place, complete and valid, and
// the error is returned all the same. The caller is to treat the snapshot
// as failed (its name may not survive a crash), but recovery may find it
// and use it, which is right. Commit on a writer that has failed returns
// its failure; on one committed or aborted, an error.
func (w *SnapshotWriter) Commit() (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, fmt.Errorf("journal: snapshot %s: Commit after Commit or Abort", w.tmp)
	}
	if w.added != w.count {
		return 0, w.fail(fmt.Errorf("journal: snapshot %s: %d records added, %d promised", w.tmp, w.added, w.count))
	}
	size := int64(snapshotHeaderSize + w.body + snapshotTrailerSize)
	w.flush()
	if w.err != nil {
		return 0, w.err
	}
	if _, err := w.f.Write(appendSnapshotTrailer(w.buf[:0], w.body, w.sum)); err != nil {
		return 0, w.fail(fmt.Errorf("journal: write snapshot %s: %w", w.tmp, err))
	}
	if err := w.f.Sync(); err != nil {
		return 0, w.fail(fmt.Errorf("journal: sync snapshot %s: %w", w.tmp, err))
	}
	err := w.f.Close()
	w.f = nil // closed, even on error
	if err != nil {
		return 0, w.fail(fmt.Errorf("journal: close snapshot %s: %w", w.tmp, err))
	}
	if err := w.fsys.Rename(w.tmp, w.final); err != nil {
		return 0, w.fail(fmt.Errorf("journal: rename snapshot %s: %w", w.tmp, err))
	}
	w.done = true
	w.buf = nil
	if err := w.fsys.SyncDir(w.dir); err != nil {
		w.err = fmt.Errorf("journal: sync directory %s after writing snapshot %s: %w", w.dir, w.final, err)
		return 0, w.err
	}
	return size, nil
}

// Abort gives the snapshot up: it closes and removes the temporary file. It
// may be called any number of times, and does nothing after Commit (even a
// failed one: the temporary file is gone already).
func (w *SnapshotWriter) Abort() {
	w.discard()
}
