package hurrah

import (
	"github.com/hurrahdb/hurrah/internal/fsseam"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The file-system seam for the black-box tests in internal/reliability: it
// sets the unexported Options.fs, so the public API gains nothing. See
// internal/fsseam.
func init() {
	fsseam.SetFS = func(opts any, fsys vfs.FS) { opts.(*Options).fs = fsys }
}
