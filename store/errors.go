package store

import "errors"

var (
	// ErrClosed is returned by every Engine method after Close.
	ErrClosed = errors.New("store: closed")
	// ErrBadEntry is returned by Replay for an entry that does not decode
	// into a command or that the machine rejects.
	ErrBadEntry = errors.New("store: bad journal entry")
	// ErrLSNGap is returned by Replay when entries do not continue the
	// sequence without a gap.
	ErrLSNGap = errors.New("store: LSN gap in replay")
	// ErrNotSnapshottable is returned by Snapshot for a machine that does
	// not implement Snapshotter.
	ErrNotSnapshottable = errors.New("store: the state cannot be snapshotted")
)
