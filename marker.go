package hurrah

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// systemMarker names the empty file that marks a directory as a System's:
// its journal holds the user's commands and its snapshots the user's
// State, not key-value records. Open refuses such a directory, OpenSystem
// refuses a key-value store's, and Check and Repair judge a System's
// records by their checksums alone, since they cannot decode them.
const systemMarker = "SYSTEM"

// isSystemDir reports whether dir is marked as a System's.
func isSystemDir(fsys vfs.FS, dir string) (bool, error) {
	_, err := fsys.Stat(filepath.Join(dir, systemMarker))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, dirErr("open", dir, err)
}

// refuseSystem is Open's check of dir: it must not hold a System.
func refuseSystem(fsys vfs.FS, dir string) error { return checkMarker(fsys, dir, false) }

// markSystem is OpenSystem's check of dir: it must hold a System, or no
// store yet, and is then marked as a System's.
func markSystem(fsys vfs.FS, dir string) error { return checkMarker(fsys, dir, true) }

// checkMarker makes sure dir holds the kind of store about to be opened in
// it. For a System it marks a directory that holds no store yet, before the
// journal writes anything there, so that a crash cannot leave a System's
// records in an unmarked directory.
func checkMarker(fsys vfs.FS, dir string, system bool) error {
	marked, err := isSystemDir(fsys, dir)
	if err != nil {
		return err
	}
	switch {
	case marked && !system:
		return fmt.Errorf("%w: %s holds a System (open it with OpenSystem)", ErrBadDir, dir)
	case marked || !system:
		return nil
	}
	held, err := journal.HoldsStore(fsys, dir)
	if err != nil {
		return dirErr("open", dir, err)
	}
	if held {
		return fmt.Errorf("%w: %s holds a key-value store (open it with Open)", ErrBadDir, dir)
	}
	if err := fsys.MkdirAll(dir); err != nil {
		return dirErr("open", dir, err)
	}
	if _, err := writeMarker(fsys, dir); err != nil {
		return dirErr("open", dir, err)
	}
	return nil
}

// writeMarker creates the marker in dir, an existing directory, and makes
// it durable. made says whether it created the file, even if making it
// durable then failed; it is false if the marker was there already
// (another OpenSystem, say, got there first).
func writeMarker(fsys vfs.FS, dir string) (made bool, err error) {
	f, err := fsys.Create(filepath.Join(dir, systemMarker))
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.SyncDir(dir)
	}
	return true, err
}
