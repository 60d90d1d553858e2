package journal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The files of a journal directory, as recovery (Open) and Repair both find
// and set them aside.

// segFile is a segment found in the directory.
type segFile struct {
	path string
	lsn  uint64 // from its name
}

// lockDir takes the exclusive lock on dir's LOCK file, creating the file if
// it is missing. If another holder has it, the error wraps ErrLocked.
func lockDir(fsys vfs.FS, dir string) (io.Closer, error) {
	lock, err := fsys.Lock(filepath.Join(dir, lockName))
	if err != nil {
		if errors.Is(err, vfs.ErrLocked) {
			return nil, fmt.Errorf("%w: %s: %w", ErrLocked, dir, err)
		}
		return nil, fmt.Errorf("journal: lock %s: %w", dir, err)
	}
	return lock, nil
}

// listSegments returns the segments in dir, oldest first: the files named
// exactly 20 digits and ".wal", sorted by the LSN in their names. Every other
// file is ignored.
func listSegments(fsys vfs.FS, dir string) ([]segFile, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	var segs []segFile
	for _, name := range names {
		if lsn, ok := parseSegmentName(name); ok {
			segs = append(segs, segFile{path: filepath.Join(dir, name), lsn: lsn})
		}
	}
	slices.SortFunc(segs, func(a, b segFile) int { return cmp.Compare(a.lsn, b.lsn) })
	return segs, nil
}

// freeName returns base+suffix, or, if a file by that name already exists,
// base+"-<k>"+suffix with the smallest free k, so that nothing set aside
// (".torn" by recovery, ".corrupt" by Repair) is ever overwritten.
func freeName(fsys vfs.FS, base, suffix string) (string, error) {
	name := base + suffix
	for k := 1; ; k++ {
		_, err := fsys.Stat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
		if err != nil {
			return "", fmt.Errorf("journal: stat %s: %w", name, err)
		}
		name = base + "-" + strconv.Itoa(k) + suffix
	}
}
