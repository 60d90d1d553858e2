package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The clean-close marker. A segment says nothing of the segments after it,
// so a lost newest segment (or the whole log) would look like a log that
// ends earlier. A clean Close therefore leaves an empty file named
// "CLOSED-" and the last LSN as 20 digits: the record lives in the name,
// which a rename replaces atomically, so no torn record can be read (and
// Close writes no byte and fsyncs no file more than it did). Open refuses a
// log (with the snapshot it restores) that ends before the LSN the newest
// marker names: what is missing is a whole file. Repair accepts the loss
// by renaming the marker to the log's new end. A directory without a
// marker (written before this, or never closed cleanly) is not checked.

// closedPrefix starts the name of a clean-close marker.
const closedPrefix = "CLOSED-"

// closedName returns the name of the marker of a clean Close at lsn.
func closedName(lsn uint64) string {
	return fmt.Sprintf("%s%0*d", closedPrefix, segmentDigits, lsn)
}

// parseClosedName returns the LSN a marker's name gives. (It has the shape
// of parseSegmentName, a prefix for a suffix; what they share is
// parseLSNDigits.)
func parseClosedName(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, closedPrefix)
	if !ok {
		return 0, false
	}
	return parseLSNDigits(digits)
}

// listClosed returns the markers in dir, oldest first (one, but for a
// crash while Close replaced one).
func listClosed(fsys vfs.FS, dir string) ([]segFile, error) {
	return listByLSN(fsys, dir, parseClosedName, false)
}

// closedLSN returns the LSN the newest of markers names, or 0.
func closedLSN(markers []segFile) uint64 {
	if len(markers) == 0 {
		return 0
	}
	return markers[len(markers)-1].lsn
}

// lostFiles returns the corruption of a log whose last LSN, last, is
// before the one the clean-close markers name, or nil.
func lostFiles(dir string, markers []segFile, last uint64) *CorruptError {
	closed := closedLSN(markers)
	if closed <= last {
		return nil
	}
	return &CorruptError{File: filepath.Join(dir, segmentName(last+1)), Offset: 0,
		Reason: fmt.Sprintf("missing: the store was closed cleanly at LSN %d, but the log ends at LSN %d: "+
			"the segment that held LSN %d is missing", closed, last, last+1)}
}

// markClosed leaves the marker of lsn in dir, in place of markers, and
// fsyncs dir; with lsn 0 it only removes markers. It does nothing if the
// one marker there already names lsn.
func markClosed(fsys vfs.FS, dir string, markers []segFile, lsn uint64) error {
	if len(markers) == 1 && markers[0].lsn == lsn {
		return nil
	}
	name := filepath.Join(dir, closedName(lsn))
	var err error
	switch {
	case lsn == 0:
	case len(markers) > 0:
		// A rename: the old record or the new, never neither.
		last := markers[len(markers)-1]
		markers = markers[:len(markers)-1]
		if err = fsys.Rename(last.path, name); err != nil {
			return fmt.Errorf("journal: rename %s: %w", last.path, err)
		}
	default:
		f, err := fsys.Create(name)
		if errors.Is(err, fs.ErrExist) {
			break
		}
		if err != nil {
			return fmt.Errorf("journal: create %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("journal: close %s: %w", name, err)
		}
	}
	for _, m := range markers {
		if m.lsn != lsn {
			if err := fsys.Remove(m.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("journal: remove %s: %w", m.path, err)
			}
		}
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("journal: sync directory %s: %w", dir, err)
	}
	return nil
}
