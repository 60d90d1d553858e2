package vfs

import (
	"io"
	"io/fs"
)

// File is an open file being written.
type File interface {
	io.Writer
	io.Closer
	// Sync commits the file's contents to stable storage (fsync).
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Name returns the name the file was opened with.
	Name() string
}

// FS is the file system the journal uses. Names are full paths.
type FS interface {
	// Create creates name for writing. It fails with an error wrapping
	// fs.ErrExist if name exists: nothing is ever overwritten by accident.
	Create(name string) (File, error)
	// OpenAppend opens an existing file for writing at its end.
	OpenAppend(name string) (File, error)
	// ReadFile returns the whole contents of name.
	ReadFile(name string) ([]byte, error)
	// Remove deletes name.
	Remove(name string) error
	// Rename renames oldname to newname, replacing newname.
	Rename(oldname, newname string) error
	// List returns the names (not paths) of the entries in dir, sorted.
	List(dir string) ([]string, error)
	// MkdirAll creates dir and its parents.
	MkdirAll(dir string) error
	// SyncDir commits dir's entries (creations, renames, removals) to
	// stable storage.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on name, creating it if needed, and fails
	// at once with an error wrapping ErrLocked if another holder has it.
	Lock(name string) (io.Closer, error)
	// Stat describes name.
	Stat(name string) (fs.FileInfo, error)
}
