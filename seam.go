package hurrah

import (
	"github.com/hurrahdb/hurrah/internal/fsseam"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The file-system seam for the black-box tests in internal/reliability: it
// sets the unexported Options.fs (or RestoreOptions.fs), so the public API
// gains nothing. See internal/fsseam.
func init() {
	fsseam.SetFS = func(opts any, fsys vfs.FS) {
		switch o := opts.(type) {
		case *Options:
			o.fs = fsys
		case *RestoreOptions:
			o.fs = fsys
		default:
			panic("fsseam: SetFS takes a *hurrah.Options or a *hurrah.RestoreOptions")
		}
	}
	fsseam.SetClock = func(opts any, now func() int64) { opts.(*Options).clock = now }
}
