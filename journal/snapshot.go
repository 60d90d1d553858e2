package journal

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Snapshot files. A snapshot is the image of the store at one LSN: a list of
// records, each a key and a value, both opaque byte strings (the journal
// knows nothing of what they hold). It lives in the journal directory,
// beside the segments, named after its LSN as "snap-" and 20 decimal digits
// and ".hsnap" (see SnapshotName), so that names sort like LSNs.
//
// A snapshot is written to "<name>.tmp", fsynced, closed, renamed to its
// name, and the directory is fsynced (SnapshotWriter). A file under its
// final name is therefore complete; a ".tmp" file is the remains of a
// snapshot that never finished, and CleanSnapshotTemps removes it. Only
// once a snapshot at LSN n is durable may the segments it covers be removed
// (CompactSegments with upto n).
//
// Every constant below is part of the wire format: changing one makes
// existing snapshots unreadable, so a change needs a new SnapshotVersion.
// All integers are little-endian:
//
//	snapshot header (40 bytes)
//	+--------+--------+--------+--------+--------+--------+--------+--------+
//	|                      magic "HURSNAP\x00" (8)                          |  0
//	+-----------------------------------+-----------------------------------+
//	|          version uint32 (=1)      |           zero (4)                |  8
//	+-----------------------------------+-----------------------------------+
//	|                           LSN uint64                                  | 16
//	+-----------------------------------+-----------------------------------+
//	|                      record count uint64                              | 24
//	+-----------------------------------+-----------------------------------+
//	|   CRC32C of bytes 0..32 uint32    |           zero (4)                | 32
//	+-----------------------------------+-----------------------------------+
//
//	body: count records, one after the other, each
//	+----------------------+-------+------------------------+---------+
//	| uvarint len(key)     |  key  | uvarint len(value)     |  value  |
//	+----------------------+-------+------------------------+---------+
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
// 64 bits. A key or a value may be empty. The body holds exactly count
// records and nothing else; the trailer is the last 16 bytes of the file.
// The checksums are CRC32C (Castagnoli), like those of the segments.
const (
	// SnapshotVersion is the snapshot format version this package writes.
	// It reads this version and refuses newer ones with ErrVersion. Every
	// version, this one and those to come, starts its snapshots with a
	// 40-byte header holding SnapshotMagic at bytes 0..8, the version at
	// 8..12 and the CRC32C of bytes 0..32 at 32..36, so that a reader checks
	// a header before it trusts the version: a damaged header can hold any
	// number.
	SnapshotVersion = 1
	// SnapshotHeaderSize is the size of a snapshot header.
	SnapshotHeaderSize = 40
	// SnapshotTrailerSize is the size of a snapshot trailer.
	SnapshotTrailerSize = 16

	snapshotPrefix = "snap-"
	snapshotSuffix = ".hsnap"
	tempSuffix     = ".tmp"
	// snapshotBuffer is how many bytes a SnapshotWriter gathers before it
	// writes them with one write; a longer key or value is written on its
	// own, never copied.
	snapshotBuffer = 1 << 20
)

// SnapshotMagic opens every snapshot file.
var SnapshotMagic = [8]byte{'H', 'U', 'R', 'S', 'N', 'A', 'P', 0}

// SnapshotName returns the file name (not a path) of the snapshot at LSN
// lsn: "snap-", the LSN as 20 decimal digits, and ".hsnap". A snapshot being
// written is named that plus ".tmp".
func SnapshotName(lsn uint64) string {
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
	dst = append(dst, SnapshotMagic[:]...)
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
}

// CreateSnapshot starts the snapshot at LSN lsn of count records in dir: it
// creates dir/SnapshotName(lsn)+".tmp", removing first a stale file of that
// name (the remains of an earlier attempt), writes the header, and returns a
// writer that expects exactly count calls to Add. A snapshot committed under
// the same name replaces the one there, if any (both are the image of the
// store at the same LSN).
func CreateSnapshot(fsys vfs.FS, dir string, lsn, count uint64) (*SnapshotWriter, error) {
	final := filepath.Join(dir, SnapshotName(lsn))
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
	if _, err := f.Write(appendSnapshotHeader(nil, SnapshotVersion, lsn, count)); err != nil {
		f.Close()
		fsys.Remove(tmp)
		return nil, fmt.Errorf("journal: write snapshot %s: %w", tmp, err)
	}
	return &SnapshotWriter{fsys: fsys, dir: dir, tmp: tmp, final: final, f: f, lsn: lsn, count: count}, nil
}

// Add appends a record to the snapshot. The key and the value may be empty;
// Add does not keep them after it returns. It fails, and the writer with
// it, if count records have already been added, if a write fails, or if
// the writer has failed, been committed or aborted.
func (w *SnapshotWriter) Add(key string, value []byte) error {
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
	return w.err
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
// temporary file, renames it to dir/SnapshotName(lsn), and fsyncs dir. It
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
	size := int64(SnapshotHeaderSize + w.body + SnapshotTrailerSize)
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

// Snapshot is a snapshot file decoded and fully validated by DecodeSnapshot
// or ReadSnapshot.
type Snapshot struct {
	// Path is the path it was read from (the name given to DecodeSnapshot).
	Path string
	// LSN is the LSN whose state it holds: every entry up to it applied.
	LSN uint64
	// Count is the number of records.
	Count uint64
	// Size is the size of the file.
	Size int64

	body []byte // the records, validated
}

// DecodeSnapshot validates data, the whole image of a snapshot file, and
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
func DecodeSnapshot(name string, data []byte) (*Snapshot, error) {
	corrupt := func(off int, format string, args ...any) (*Snapshot, error) {
		return nil, &CorruptError{File: name, Offset: int64(off), Reason: fmt.Sprintf(format, args...)}
	}
	le := binary.LittleEndian
	if len(data) < SnapshotHeaderSize {
		return corrupt(0, "snapshot header cut short (%d bytes)", len(data))
	}
	if [8]byte(data[:8]) != SnapshotMagic {
		return corrupt(0, "bad snapshot magic")
	}
	if checksum(data[:32]) != le.Uint32(data[32:36]) {
		return corrupt(0, "snapshot header checksum mismatch")
	}
	if v := le.Uint32(data[8:12]); v > SnapshotVersion {
		return nil, fmt.Errorf("%w: snapshot %s has version %d, this build reads up to %d", ErrVersion, name, v, SnapshotVersion)
	} else if v != SnapshotVersion {
		return corrupt(0, "snapshot header has version %d", v)
	}
	if le.Uint32(data[12:16]) != 0 || le.Uint32(data[36:40]) != 0 {
		return corrupt(0, "reserved snapshot header bytes are not zero")
	}
	lsn, count := le.Uint64(data[16:24]), le.Uint64(data[24:32])
	if n, ok := parseSnapshotName(filepath.Base(name)); ok && n != lsn {
		return corrupt(0, "snapshot header gives LSN %d, its name %d", lsn, n)
	}
	if len(data) < SnapshotHeaderSize+SnapshotTrailerSize {
		return corrupt(len(data), "snapshot truncated: no room for the trailer")
	}
	end := len(data) - SnapshotTrailerSize // of the body
	tr := data[end:]
	if checksum(tr[:12]) != le.Uint32(tr[12:16]) {
		return corrupt(end, "snapshot trailer checksum mismatch (truncated or damaged)")
	}
	if l := le.Uint64(tr[0:8]); l != uint64(end-SnapshotHeaderSize) {
		return corrupt(end, "snapshot trailer gives a body of %d bytes, the file holds %d", l, end-SnapshotHeaderSize)
	}
	body := data[SnapshotHeaderSize:end]
	if checksum(body) != le.Uint32(tr[8:12]) {
		return corrupt(SnapshotHeaderSize, "snapshot body checksum mismatch")
	}

	// Every record takes at least two bytes, so the loop ends with the
	// body whatever count claims.
	off := 0
	for i := uint64(0); i < count; i++ {
		if off == len(body) {
			return corrupt(SnapshotHeaderSize+off, "snapshot body ends after %d records of %d", i, count)
		}
		at := off
		for range 2 { // the key, then the value
			n, k := binary.Uvarint(body[off:])
			if k <= 0 {
				return corrupt(SnapshotHeaderSize+at, "record %d: bad length at offset %d", i, SnapshotHeaderSize+off)
			}
			off += k
			if n > uint64(len(body)-off) {
				return corrupt(SnapshotHeaderSize+at, "record %d: length %d runs past the body", i, n)
			}
			off += int(n)
		}
	}
	if off != len(body) {
		return corrupt(SnapshotHeaderSize+off, "%d bytes after the last of %d records", len(body)-off, count)
	}
	return &Snapshot{Path: name, LSN: lsn, Count: count, Size: int64(len(data)), body: body}, nil
}

// ReadSnapshot reads the snapshot file path and decodes it (DecodeSnapshot).
func ReadSnapshot(fsys vfs.FS, path string) (*Snapshot, error) {
	data, err := fsys.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("journal: read snapshot %s: %w", path, err)
	}
	return DecodeSnapshot(path, data)
}

// Records yields every record, in file order, until yield returns false; it
// is a range function (for key, value := range s.Records). key and value
// alias the file image: they must not be modified, and are clipped, so
// appending to one copies it. It cannot fail: DecodeSnapshot validated
// every record.
func (s *Snapshot) Records(yield func(key, value []byte) bool) {
	b := s.body
	next := func() []byte {
		n, k := binary.Uvarint(b)
		field := b[k : k+int(n) : k+int(n)]
		b = b[k+int(n):]
		return field
	}
	for range s.Count {
		key := next()
		if !yield(key, next()) {
			return
		}
	}
}

// SnapshotFile is a snapshot found in a directory by ListSnapshots.
type SnapshotFile struct {
	Path string // of the file
	LSN  uint64 // from its name
}

// ListSnapshots returns the snapshots in dir, oldest (lowest LSN) first: the
// files named exactly as SnapshotName names them. Temporary files and every
// other file are ignored. It reads no snapshot: a listed file may still be
// damaged.
func ListSnapshots(fsys vfs.FS, dir string) ([]SnapshotFile, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	var snaps []SnapshotFile
	for _, name := range names {
		if lsn, ok := parseSnapshotName(name); ok {
			snaps = append(snaps, SnapshotFile{Path: filepath.Join(dir, name), LSN: lsn})
		}
	}
	slices.SortFunc(snaps, func(a, b SnapshotFile) int { return cmp.Compare(a.LSN, b.LSN) })
	return snaps, nil
}

// CleanSnapshotTemps removes every temporary snapshot file in dir (named
// SnapshotName(lsn)+".tmp" for some lsn), the remains of snapshots that a
// crash interrupted, and fsyncs dir if it removed any. It returns how many
// it removed, also on error.
func CleanSnapshotTemps(fsys vfs.FS, dir string) (int, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return 0, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	removed := 0
	for _, name := range names {
		snap, ok := strings.CutSuffix(name, tempSuffix)
		if !ok {
			continue
		}
		if _, ok := parseSnapshotName(snap); !ok {
			continue
		}
		path := filepath.Join(dir, name)
		if err := fsys.Remove(path); err != nil {
			return removed, fmt.Errorf("journal: remove snapshot temp %s: %w", path, err)
		}
		removed++
	}
	if removed > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return removed, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return removed, nil
}

// PruneSnapshots removes all but the newest keep of the snapshots of dir
// whose LSN is at most upto (keep must be at least 1), oldest first, so
// that a crash part-way leaves the newest ones, and fsyncs dir if it
// removed any. Snapshots above upto are left alone: a store passes the LSN
// of the newest snapshot it knows to be sound, so that a damaged file
// named after a higher LSN cannot make it remove the one it restores. It
// returns the paths it removed, oldest first, also on error.
func PruneSnapshots(fsys vfs.FS, dir string, keep int, upto uint64) ([]string, error) {
	if keep < 1 {
		return nil, fmt.Errorf("journal: prune snapshots of %s: keep %d, want at least 1", dir, keep)
	}
	all, err := ListSnapshots(fsys, dir)
	if err != nil {
		return nil, err
	}
	snaps := all[:0:0]
	for _, s := range all {
		if s.LSN <= upto {
			snaps = append(snaps, s)
		}
	}
	var removed []string
	for _, s := range snaps[:max(0, len(snaps)-keep)] {
		if err := fsys.Remove(s.Path); err != nil {
			return removed, fmt.Errorf("journal: remove snapshot %s: %w", s.Path, err)
		}
		removed = append(removed, s.Path)
	}
	if len(removed) > 0 {
		if err := fsys.SyncDir(dir); err != nil {
			return removed, fmt.Errorf("journal: sync directory %s: %w", dir, err)
		}
	}
	return removed, nil
}
