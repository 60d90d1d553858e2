package vfs

import (
	"io"
	"os"
	"slices"
)

// Reading a file from an offset on, so that a reader following a file that
// grows (the journal's newest segment, read by the change feed) reads each
// byte once rather than the whole file again at every step.

// ReadFrom returns the contents of name from byte off on (empty if the file
// is no longer than off). File systems of this package read only those
// bytes; any other FS reads the whole file with ReadFile.
func ReadFrom(fsys FS, name string, off int64) ([]byte, error) {
	if r, ok := fsys.(interface {
		readFrom(name string, off int64) ([]byte, error)
	}); ok {
		return r.readFrom(name, off)
	}
	data, err := fsys.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return data[min(off, int64(len(data))):], nil
}

func (osFS) readFrom(name string, off int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	n := info.Size() - off
	if n <= 0 {
		return nil, nil
	}
	// Read what Stat saw; what is appended meanwhile is for the next call.
	buf := make([]byte, n)
	k, err := io.ReadFull(io.NewSectionReader(f, off, n), buf)
	if err == io.ErrUnexpectedEOF {
		err = nil // cut short meanwhile: the caller gets what is there
	}
	return buf[:k], err
}

func (m *Mem) readFrom(name string, off int64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.node("read", name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(n.data[min(off, int64(len(n.data))):]), nil
}

// readFrom counts as an OpReadFile for the injector.
func (f *Faulty) readFrom(name string, off int64) ([]byte, error) {
	if err := f.fault(OpReadFile, name); err != nil {
		return nil, err
	}
	return ReadFrom(f.FS, name, off)
}
