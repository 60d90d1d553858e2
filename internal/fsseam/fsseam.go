package fsseam

import "github.com/hurrahdb/hurrah/internal/vfs"

// SetFS sets the file system of opts, which must be a *hurrah.Options or a
// *hurrah.RestoreOptions, to fsys (nil means the OS's). It panics on any
// other type. The hurrah
// package sets SetFS at init, so it is nil only in a program that does not
// link hurrah.
var SetFS func(opts any, fsys vfs.FS)

// SetClock sets the clock that expiry reads (Unix ns) in opts, a
// *hurrah.Options, so that a test controls time. Filled in by hurrah at
// init, like SetFS.
var SetClock func(opts any, now func() int64)
