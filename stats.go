package hurrah

import (
	"time"

	"github.com/hurrahdb/hurrah/store"
)

// Stats describes what a store has done since Open.
type Stats struct {
	// Snapshots is the number of snapshots saved, and SnapshotsFailed the
	// number that failed; LastSnapshotErr says why the last one failed.
	Snapshots       uint64
	SnapshotsFailed uint64
	LastSnapshotErr error
	// LastSnapshotLSN and LastSnapshotSize describe the last snapshot
	// saved.
	LastSnapshotLSN  uint64
	LastSnapshotSize int64
	// MaxPause is the longest single step the owner goroutine spent on
	// point-in-time images (snapshots and Views): taking one, or folding
	// the changes kept aside back in. Requests wait at most this long for
	// them.
	MaxPause time.Duration
	// JournalBytes is how many bytes the journal held at Open plus how
	// many it has written since.
	JournalBytes int64
}

// statsOf describes an engine's stats and its journal's size.
func statsOf(s store.Stats, snaps *diskSnapshots) Stats {
	st := Stats{
		Snapshots:        s.Snapshots,
		SnapshotsFailed:  s.Failed,
		LastSnapshotErr:  s.LastErr,
		LastSnapshotLSN:  s.LastLSN,
		LastSnapshotSize: s.LastSize,
		MaxPause:         s.MaxPause,
	}
	if snaps != nil {
		st.JournalBytes = snaps.Written()
	}
	return st
}
