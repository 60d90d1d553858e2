package journal

import (
	"errors"
	"fmt"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The one rule that chooses the snapshot a directory is restored from
// (step 2 of recovery). Open and Repair both call chooseSnapshot, so that
// Repair judges a directory from the snapshot Open would restore.

// snapshotChoice is what chooseSnapshot found.
type snapshotChoice struct {
	// chosen is the index in the list of the snapshot restore accepted,
	// or -1 if none was; snap is that snapshot.
	chosen int
	snap   *Snapshot
	// checks holds what was found about each snapshot read: those from
	// index read on (chooseSnapshot reads newest first and stops at the
	// one accepted); the others are zero.
	checks []SnapshotCheck
	read   int
	// skipped lists, newest first, why each snapshot passed over for
	// failing its checks failed them (errors wrapping ErrCorrupt).
	skipped []error
	// refused lists, newest first, the indexes of the snapshots that pass
	// their checks but that restore refused (with tryOlder only); damage
	// is the corruption Open fails with for the first of them.
	refused []int
	damage  *CorruptError
}

// chooseSnapshot reads snaps, newest first, and hands the first that
// passes its checks (readSnapshot) to restore. A snapshot that fails its
// checks with ErrCorrupt is passed over for the next older one; any other
// failure (ErrVersion, a failed read) is returned. A snapshot restore
// refuses is corrupt (its checksums pass, so what restore found wrong is
// in its contents): Open fails on it, so without tryOlder that is the
// error; with tryOlder (Repair, which works out what Open would restore
// once such snapshots are set aside) it is recorded and the next older
// one tried.
func chooseSnapshot(fsys vfs.FS, snaps []SnapshotFile, restore func(*Snapshot) error, tryOlder bool) (snapshotChoice, error) {
	ch := snapshotChoice{chosen: -1, checks: make([]SnapshotCheck, len(snaps)), read: len(snaps)}
	for i := len(snaps) - 1; i >= 0; i-- {
		c := &ch.checks[i]
		ch.read = i
		s, err := checkSnapshot(fsys, snaps[i], c)
		if err != nil {
			return ch, err
		}
		if c.Err != nil {
			if !errors.Is(c.Err, ErrCorrupt) {
				return ch, c.Err // Open stops at it
			}
			ch.skipped = append(ch.skipped, c.Err)
			continue
		}
		if err := restore(s); err != nil {
			ce := &CorruptError{File: s.Path, Offset: 0, Reason: "restoring the snapshot failed", Err: err}
			if !tryOlder {
				return ch, ce
			}
			c.RestoreErr = ce
			if ch.damage == nil {
				ch.damage = ce
			}
			ch.refused = append(ch.refused, i)
			continue
		}
		ch.chosen, ch.snap = i, s
		break
	}
	return ch, nil
}

// checkSnapshot reads the snapshot f and checks it (decodeSnapshot),
// recording in c what it found. It returns the snapshot if it passes its
// checks, or nil with c.Err saying why not; a failed read is its error.
func checkSnapshot(fsys vfs.FS, f SnapshotFile, c *SnapshotCheck) (*Snapshot, error) {
	c.SnapshotFile = f
	data, err := fsys.ReadFile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("journal: read snapshot %s: %w", f.Path, err)
	}
	c.Size = int64(len(data))
	s, err := decodeSnapshot(f.Path, data)
	if err != nil {
		c.Err = err
		return nil, nil
	}
	c.Count = s.Count
	return s, nil
}
