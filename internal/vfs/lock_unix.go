//go:build unix

package vfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// lockFile takes a flock(2) exclusive lock on name, creating it with the
// mode perm if needed. flock locks belong to the open
// file description, so a second open of the same file conflicts even inside
// one process, and the kernel drops the lock when the process dies.
func lockFile(name string, perm os.FileMode) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, perm)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, name)
		}
		return nil, fmt.Errorf("vfs: flock %s: %w", name, err)
	}
	return f, nil // closing the file releases the lock
}
