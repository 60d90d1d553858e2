package vfs

import (
	"io"
	"io/fs"
	"os"
	"sort"
)

// DefaultFileMode is the mode OS creates files with: only their owner may
// read or write them, since they hold the users' data.
const DefaultFileMode fs.FileMode = 0o600

// OS is the FS of the operating system. It creates files with
// DefaultFileMode and directories with DirMode(DefaultFileMode), 0700.
var OS FS = OSMode(DefaultFileMode)

// OSMode returns the FS of the operating system creating files (the lock
// file included) with the permission bits perm, and directories with
// DirMode(perm). The process's umask applies to both, and existing files
// and directories keep their modes.
func OSMode(perm fs.FileMode) FS {
	perm &= fs.ModePerm
	return osFS{file: perm, dir: DirMode(perm)}
}

// DirMode returns the mode for directories that goes with the file mode
// perm: perm plus the execute (search) bit wherever perm has read, so that
// whoever may read the files may also reach them (0600 gives 0700, 0640
// gives 0750).
func DirMode(perm fs.FileMode) fs.FileMode {
	perm &= fs.ModePerm
	return perm | (perm&0o444)>>2
}

// osFS is the OS file system creating files with mode file and
// directories with mode dir.
type osFS struct{ file, dir fs.FileMode }

var _ FS = osFS{}

// Create implements FS.
func (o osFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, o.file)
}

// OpenAppend implements FS.
func (osFS) OpenAppend(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
}

// ReadFile implements FS.
func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Remove implements FS.
func (osFS) Remove(name string) error { return os.Remove(name) }

// Rename implements FS.
func (osFS) Rename(o, n string) error { return os.Rename(o, n) }

// MkdirAll implements FS.
func (o osFS) MkdirAll(dir string) error { return os.MkdirAll(dir, o.dir) }

// Stat implements FS.
func (osFS) Stat(name string) (fs.FileInfo, error) {
	return os.Stat(name)
}

// List implements FS.
func (osFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	sort.Strings(names)
	return names, nil
}

// SyncDir implements FS.
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Lock implements FS.
func (o osFS) Lock(name string) (io.Closer, error) { return lockFile(name, o.file) }
