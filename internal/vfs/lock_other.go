//go:build !unix

package vfs

import (
	"io"
	"os"
)

// lockFile on platforms without flock only creates the file: exclusion
// between processes is not enforced there (documented in the README).
func lockFile(name string, perm os.FileMode) (io.Closer, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, perm)
}
