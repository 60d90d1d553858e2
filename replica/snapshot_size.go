package replica

import (
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/hashicorp/raft"
)

// A snapshot's size, for the map a Restore makes. hurrah.OpenBackup sizes
// the map up front for the keys a backup's header counts only as far as
// the bytes left to read can hold keys (their Len: see OpenBackup), as no
// checksum vouches for the count until the end; without a Len it makes
// room for 1M keys, and a map for more grows as they come, which makes
// the restore of a larger snapshot slower (BenchmarkCatchUp4M). Raft
// knows the size (SnapshotMeta.Size: its stores count the bytes they
// write, and an install checks them against the bytes the leader sent)
// but does not hand it to Restore: raft v1.7.2 opens the snapshot with the
// store's Open and hands Restore that reader wrapped to count the bytes
// (fsmRestoreAndMeasure), a raft.ReadCloserWrapper. So guardedSnaps.Open
// returns the reader with the size beside it (sizedSnapshot), and Restore
// unwraps raft's wrappers to find it (snapshotSize), and reads through
// them (raft's count feeds its progress log) with a Len (lenReader).

// The size bounds the map a forged count of keys makes room for, so it
// is trusted only where it cannot lie: from raft's in-memory store, which
// counts the bytes as they are written, and from a node directory's
// store (fileSnaps), which takes it from the state file itself. Raft's
// file store given as Config.SnapshotStore is not trusted: it reads the
// size from meta.json, which no checksum covers. A size larger than the
// snapshot would let a forged count, or a garbled one, make room for up
// to half that many keys (TestRestoreForgedCountLyingSize: a size of
// 1 TiB in a damaged meta.json would ask for some 25 TiB), so the
// restores of any other store make room as for a reader of unknown size
// (1M keys; a larger map grows as the keys come).

// trustedSize returns the size of snapshot id, opened with meta, if s
// is a store whose size can be trusted.
func (s guardedSnaps) trustedSize(id string, meta *raft.SnapshotMeta) (int64, bool) {
	switch st := s.SnapshotStore.(type) {
	case *raft.InmemSnapshotStore:
		return meta.Size, true
	case fileSnaps:
		fi, err := os.Stat(filepath.Join(st.dir, id, "state.bin"))
		if err != nil {
			return 0, false
		}
		return fi.Size(), true
	}
	return 0, false
}

// sizedSnapshot is a snapshot's reader as guardedSnaps.Open returns it,
// with the snapshot's size in bytes, if the store gives one it can trust
// (sized), and raft's index of the snapshot (its meta's).
type sizedSnapshot struct {
	io.ReadCloser
	size  int64
	sized bool
	index uint64
}

// opened returns the reader guardedSnaps.Open returned, if r is it, as it
// is or as raft wraps it.
func opened(r io.Reader) (sizedSnapshot, bool) {
	for {
		switch w := r.(type) {
		case sizedSnapshot:
			return w, true
		case raft.ReadCloserWrapper:
			r = w.WrappedReadCloser()
		default:
			return sizedSnapshot{}, false
		}
	}
}

// snapshotSize returns the size of the snapshot r reads, if r is the
// reader guardedSnaps.Open returned and its size can be trusted.
func snapshotSize(r io.Reader) (int64, bool) {
	s, ok := opened(r)
	return s.size, ok && s.sized
}

// snapshotIndex returns raft's index of the snapshot r reads, if r is
// the reader guardedSnaps.Open returned.
func snapshotIndex(r io.Reader) (uint64, bool) {
	s, ok := opened(r)
	return s.index, ok
}

// withLen returns r with a Len giving the bytes left of the snapshot it
// reads, if its size is known, so that hurrah.OpenBackup sizes the map
// for the snapshot's keys; otherwise r as it is.
func withLen(r io.Reader) io.Reader {
	if size, ok := snapshotSize(r); ok && size > 0 {
		return &lenReader{r: r, left: size}
	}
	return r
}

// lenReader reads r, of which left bytes are left.
type lenReader struct {
	r    io.Reader
	left int64
}

// Read reads from r.
func (l *lenReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// Len returns how many bytes are left to read, by the size: none once
// more than that have been read.
func (l *lenReader) Len() int { return int(min(max(l.left, 0), math.MaxInt)) }
