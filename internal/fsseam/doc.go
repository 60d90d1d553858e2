// Package fsseam is the one test seam of the hurrah package: it lets the
// tests of another package (internal/reliability) give a store the file
// system of their choosing, an in-memory one that can lose unsynced data or
// a wrapper that fails chosen operations, without a public option for it.
//
// The hurrah package fills SetFS in at init (seam.go in the module root),
// since this package cannot import hurrah; a test imports both and calls
// SetFS on the *hurrah.Options it passes to Open. Nothing here is part of
// hurrah's API, and internal/ keeps it out of reach of other modules.
package fsseam
