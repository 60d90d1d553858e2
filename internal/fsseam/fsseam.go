package fsseam

import "github.com/hurrahdb/hurrah/internal/vfs"

// SetFS sets the file system of opts, which must be a *hurrah.Options or a
// *hurrah.RestoreOptions, to fsys (nil means the OS's). It panics on any
// other type. The hurrah
// package sets SetFS at init, so it is nil only in a program that does not
// link hurrah.
var SetFS func(opts any, fsys vfs.FS)
