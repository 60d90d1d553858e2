package vfs

import (
	"errors"
	"io"
	"io/fs"
)

// Op names one kind of file system operation, for fault injection.
type Op uint8

// The operations a Faulty file system can fail.
const (
	OpCreate Op = iota + 1
	OpOpenAppend
	OpWrite
	OpSync
	OpTruncate
	OpClose
	OpReadFile
	OpRemove
	OpRename
	OpList
	OpMkdirAll
	OpSyncDir
	OpLock
	OpStat
)

var opNames = [...]string{"", "create", "open-append", "write", "sync", "truncate", "close",
	"read-file", "remove", "rename", "list", "mkdir-all", "sync-dir", "lock", "stat"}

// String returns the operation's name, such as "write" or "sync-dir".
func (o Op) String() string {
	if int(o) < len(opNames) && o != 0 {
		return opNames[o]
	}
	return "op?"
}

// Faulty wraps an FS and asks Inject before every operation (for OpRename the
// name is "old -> new"); a non-nil error
// fails that operation without performing it. An error wrapping
// io.ErrShortWrite on OpWrite writes the first half of the buffer first, to
// leave a torn write behind. Inject must be safe for concurrent use.
type Faulty struct {
	FS     FS
	Inject func(op Op, name string) error
}

var _ FS = (*Faulty)(nil)

func (f *Faulty) fault(op Op, name string) error {
	if f.Inject == nil {
		return nil
	}
	return f.Inject(op, name)
}

// Create implements FS.
func (f *Faulty) Create(name string) (File, error) {
	if err := f.fault(OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// OpenAppend implements FS.
func (f *Faulty) OpenAppend(name string) (File, error) {
	if err := f.fault(OpOpenAppend, name); err != nil {
		return nil, err
	}
	file, err := f.FS.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f}, nil
}

// The methods below share one shape on purpose: ask the injector for a
// fault at this operation, then call the wrapped file system.

// ReadFile implements FS.
func (f *Faulty) ReadFile(name string) ([]byte, error) {
	if err := f.fault(OpReadFile, name); err != nil {
		return nil, err
	}
	return f.FS.ReadFile(name)
}

// Remove implements FS.
func (f *Faulty) Remove(name string) error {
	if err := f.fault(OpRemove, name); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

// Rename implements FS.
func (f *Faulty) Rename(oldname, newname string) error {
	if err := f.fault(OpRename, oldname+" -> "+newname); err != nil {
		return err
	}
	return f.FS.Rename(oldname, newname)
}

// List implements FS.
func (f *Faulty) List(dir string) ([]string, error) {
	if err := f.fault(OpList, dir); err != nil {
		return nil, err
	}
	return f.FS.List(dir)
}

// MkdirAll implements FS.
func (f *Faulty) MkdirAll(dir string) error {
	if err := f.fault(OpMkdirAll, dir); err != nil {
		return err
	}
	return f.FS.MkdirAll(dir)
}

// SyncDir implements FS.
func (f *Faulty) SyncDir(dir string) error {
	if err := f.fault(OpSyncDir, dir); err != nil {
		return err
	}
	return f.FS.SyncDir(dir)
}

// Lock implements FS.
func (f *Faulty) Lock(name string) (io.Closer, error) {
	if err := f.fault(OpLock, name); err != nil {
		return nil, err
	}
	return f.FS.Lock(name)
}

// Stat implements FS.
func (f *Faulty) Stat(name string) (fs.FileInfo, error) {
	if err := f.fault(OpStat, name); err != nil {
		return nil, err
	}
	return f.FS.Stat(name)
}

type faultyFile struct {
	File
	fs *Faulty
}

func (f *faultyFile) Write(p []byte) (int, error) {
	if err := f.fs.fault(OpWrite, f.Name()); err != nil {
		if errors.Is(err, io.ErrShortWrite) {
			n, _ := f.File.Write(p[:len(p)/2])
			return n, err
		}
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultyFile) Sync() error {
	if err := f.fs.fault(OpSync, f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if err := f.fs.fault(OpTruncate, f.Name()); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *faultyFile) Close() error {
	if err := f.fs.fault(OpClose, f.Name()); err != nil {
		f.File.Close() // release the descriptor all the same
		return err
	}
	return f.File.Close()
}
