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
	"syscall"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The files of a journal directory, as recovery (Open) and Repair both find
// and set them aside.

// segFile is a segment (or, to listByLSN, any file named after an LSN)
// found in the directory.
type segFile struct {
	path string
	lsn  uint64 // from its name
}

// makeDir creates dir and any missing parents, and makes dir's name
// durable: a directory's entry in its parent is lost in a power loss, like
// a file's, until the parent is synced. It fsyncs the parent of each
// directory it creates, and dir's parent even when dir exists, since an
// earlier Open may have created dir and died before syncing its parent.
func makeDir(fsys vfs.FS, dir string) error {
	dir = filepath.Clean(dir)
	var missing []string // from dir up to the first that exists
	for p := dir; ; p = filepath.Dir(p) {
		_, err := fsys.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("journal: stat %s: %w", p, err)
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	if len(missing) > 0 {
		if err := fsys.MkdirAll(dir); err != nil {
			return fmt.Errorf("journal: create directory %s: %w", dir, err)
		}
	}
	synced := map[string]bool{}
	for _, p := range append(missing, dir) {
		parent := filepath.Dir(p)
		if synced[parent] {
			continue
		}
		synced[parent] = true
		if err := fsys.SyncDir(parent); err != nil {
			return fmt.Errorf("journal: sync directory %s: %w", parent, err)
		}
	}
	return nil
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
	return listByLSN(fsys, dir, parseSegmentName, true)
}

// listByLSN returns the files of dir whose names parse gives an LSN for,
// sorted by it. With checkType, such a name on anything but a regular file
// (a directory, a fifo) is corruption naming it: no torn write makes one,
// and reading it would fail, or block.
func listByLSN(fsys vfs.FS, dir string, parse func(string) (uint64, bool), checkType bool) ([]segFile, error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	var files []segFile
	for _, name := range names {
		lsn, ok := parse(name)
		if !ok {
			continue
		}
		path := filepath.Join(dir, name)
		if checkType {
			switch exists, err := isRegular(fsys, path); {
			case err != nil:
				return nil, err
			case !exists:
				continue // removed since it was listed
			}
		}
		files = append(files, segFile{path: path, lsn: lsn})
	}
	slices.SortFunc(files, func(a, b segFile) int { return cmp.Compare(a.lsn, b.lsn) })
	return files, nil
}

// isRegular reports whether path exists, and returns a CorruptError naming
// it if it exists but is not a regular file: no torn write makes a
// directory or a fifo under one of the journal's names, and reading it
// would fail, or block.
func isRegular(fsys vfs.FS, path string) (exists bool, err error) {
	info, err := fsys.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("journal: stat %s: %w", path, err)
	}
	return true, checkRegular(path, info)
}

// checkRegular returns a CorruptError naming path if info, its Stat, is
// not that of a regular file.
func checkRegular(path string, info fs.FileInfo) error {
	if info.Mode().IsRegular() {
		return nil
	}
	return &CorruptError{File: path, Offset: 0,
		Reason: fmt.Sprintf("not a regular file (mode %v)", info.Mode().Type())}
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

// lockExisting locks dir for the tool operation what ("check", "repair",
// "prune"). Unlike Open it creates nothing: dir must already be a
// directory. unlock releases the lock and, if that fails while *err is
// nil, sets *err; call it deferred with the caller's named error.
func lockExisting(fsys vfs.FS, dir, what string) (unlock func(err *error), err error) {
	fi, err := fsys.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", what, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("journal: %s %s: %w", what, dir, syscall.ENOTDIR)
	}
	lock, err := lockDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	return func(err *error) {
		if cerr := lock.Close(); cerr != nil && *err == nil {
			*err = fmt.Errorf("journal: unlock %s: %w", dir, cerr)
		}
	}, nil
}

// createSegment creates the segment for first, writes its header and makes
// both durable: the file with an fsync, its name with an fsync of dir.
func createSegment(fsys vfs.FS, dir string, first uint64) (vfs.File, error) {
	path := filepath.Join(dir, segmentName(first))
	f, err := fsys.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(appendSegmentHeader(nil, first)); err != nil {
		f.Close()
		return nil, fmt.Errorf("write header of %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return f, nil
}

// writeFile creates name holding data, fsynced. On failure it removes
// what it created (best effort), so that a retry does not find a partial
// copy under the name.
func writeFile(fsys vfs.FS, name string, data []byte) error {
	f, err := fsys.Create(name)
	if err != nil {
		return fmt.Errorf("journal: create %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(name)
		return fmt.Errorf("journal: write %s: %w", name, err)
	}
	return nil
}

// HoldsStore reports whether dir holds a journal: any segment, snapshot or
// clean-close marker, named as this package names them (a ".torn" or
// ".corrupt" file set aside, a snapshot temp file or the LOCK file alone do
// not count). A missing dir holds none.
func HoldsStore(fsys vfs.FS, dir string) (bool, error) {
	names, err := fsys.List(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	for _, name := range names {
		if _, ok := parseSegmentName(name); ok {
			return true, nil
		}
		if _, ok := parseSnapshotName(name); ok {
			return true, nil
		}
		if _, ok := parseClosedName(name); ok {
			return true, nil
		}
	}
	return false, nil
}

// SegmentBytes returns the total size of the segment files in dir, the
// bytes a recovery would read at most; a caller can size what it replays
// into from it. A segment that vanishes while it is counted counts 0; any
// other error is returned, as recovery would meet it too. A missing dir
// holds 0 bytes.
func SegmentBytes(fsys vfs.FS, dir string) (int64, error) {
	segs, err := listSegments(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // a new store: Open creates dir
	} else if err != nil {
		return 0, err
	}
	var total int64
	for _, s := range segs {
		fi, err := fsys.Stat(s.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return 0, fmt.Errorf("journal: stat %s: %w", s.path, err)
		default:
			total += fi.Size()
		}
	}
	return total, nil
}
