package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// systemMarker is the file that marks the directory of a System (see
// marker.go in the root package): its records are the program's own
// commands and State, which the command line cannot decode.
const systemMarker = "SYSTEM"

// storeKind says what kind of store a directory holds.
type storeKind int

const (
	kindKV     storeKind = iota // a key-value store, opened with hurrah.Open
	kindSystem                  // a System, opened with hurrah.OpenSystem
)

func (k storeKind) String() string {
	if k == kindSystem {
		return "System"
	}
	return "key-value store"
}

// findStore checks, creating nothing, that dir holds a hurrah store (a
// journal segment, a snapshot, a clean-close marker or a System's marker),
// and says which kind. Every command runs it first: the library would
// take a directory that holds no store for an empty one, and create it.
func findStore(dir string) (storeKind, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, fail(exitError, "no hurrah store in %s: it does not exist", dir)
	case err != nil:
		return 0, explain(dir, err)
	case !fi.IsDir():
		return 0, fail(exitError, "no hurrah store in %s: it is a file, not a directory", dir)
	}
	switch _, err := os.Stat(filepath.Join(dir, systemMarker)); {
	case err == nil:
		return kindSystem, nil
	case !errors.Is(err, fs.ErrNotExist):
		return 0, explain(dir, err)
	}
	held, err := journal.HoldsStore(vfs.OS, dir)
	if err != nil {
		return 0, explain(dir, err)
	}
	if !held {
		return 0, fail(exitError, "no hurrah store in %s", dir)
	}
	return kindKV, nil
}

// findKV is findStore for the commands that read keys and values: a
// System's are the program's own types, which they cannot decode.
func findKV(dir string) error {
	kind, err := findStore(dir)
	if err == nil && kind == kindSystem {
		err = fail(exitError, "%s holds a System, whose state and commands only the program that wrote them can decode "+
			"(check, stats, repair and prune work on it)", dir)
	}
	return err
}

// openKV opens the key-value store in dir the way a program would, under
// its lock, with automatic snapshots off, showing a spinner on a terminal
// while it replays the journal. keep is Options.KeepSnapshots.
func openKV(inv *invocation, dir string, keep int) (*hurrah.DB, error) {
	if err := findKV(dir); err != nil {
		return nil, err
	}
	sp := inv.working("opening", dir)
	db, err := hurrah.Open(dir, &hurrah.Options{SnapshotThreshold: -1, KeepSnapshots: keep})
	sp.done()
	if err != nil {
		return nil, explain(dir, err)
	}
	return db, nil
}

// diskUsage returns how many regular files dir holds and their bytes.
func diskUsage(dir string) (files int, bytes int64, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return 0, 0, err
		}
		files++
		bytes += fi.Size()
	}
	return files, bytes, nil
}

// sizeText writes n bytes for a person: "812 B", "3.4 MiB".
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
