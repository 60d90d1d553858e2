package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestOpenNamesMissingSnapshot removes the snapshot whose segments were
// compacted away: Open refuses with ErrCorrupt naming the missing
// snapshot, not the first segment, and changes nothing. An older snapshot
// left in place does not hold what is missing either.
func TestOpenNamesMissingSnapshot(t *testing.T) {
	for _, older := range []bool{false, true} {
		dir := writeLog(t, 40, false, Options{SegmentSize: 200})
		segs := segments(t, dir)
		require.Greater(t, len(segs), 3)
		s := firstLSN(t, segs[2]) - 1 // the snapshot covers segments 0 and 1
		require.NoError(t, trySnapshot(vfs.OS, dir, s, nil))
		if older {
			require.NoError(t, trySnapshot(vfs.OS, dir, 1, nil))
		}
		files, _, err := CompactSegments(vfs.OS, dir, s)
		require.NoError(t, err)
		require.Equal(t, 2, files)
		missing := filepath.Join(dir, snapshotName(s))
		require.NoError(t, os.Remove(missing))
		before := dirImage(t, dir)

		_, err = tryOpen(vfs.OS, dir, Options{Restore: func(*Snapshot) error { return nil }})
		requireCorruptPath(t, err, missing)
		require.Contains(t, err.Error(), "gap")
		require.Contains(t, err.Error(), "missing")
		require.Equal(t, before, dirImage(t, dir))
	}
}

// TestRepairNamesMissingSnapshot is TestOpenNamesMissingSnapshot for
// Repair, dry run (Check) and not: what it reports as the damage and as
// why it cannot repair, which `hurrah check` prints, names the missing
// snapshot and the records it held, as Open does, not the first segment;
// and nothing changes.
func TestRepairNamesMissingSnapshot(t *testing.T) {
	for _, older := range []bool{false, true} {
		dir := writeLog(t, 40, false, Options{SegmentSize: 200})
		segs := segments(t, dir)
		require.Greater(t, len(segs), 3)
		s := firstLSN(t, segs[2]) - 1 // the snapshot covers segments 0 and 1
		require.NoError(t, trySnapshot(vfs.OS, dir, s, nil))
		if older {
			require.NoError(t, trySnapshot(vfs.OS, dir, 1, nil))
		}
		_, _, err := CompactSegments(vfs.OS, dir, s)
		require.NoError(t, err)
		missing := filepath.Join(dir, snapshotName(s))
		require.NoError(t, os.Remove(missing))
		before := dirImage(t, dir)

		for _, dry := range []bool{true, false} {
			rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dry, Restore: func(*Snapshot) error { return nil }})
			if dry {
				require.NoError(t, err)
			} else {
				requireCorruptPath(t, err, missing)
			}
			require.NotNil(t, rep.Damage)
			require.Equal(t, missing, rep.Damage.File, "older %v, dry run %v", older, dry)
			requireCorruptPath(t, rep.Unrepairable, missing)
			require.Contains(t, rep.Unrepairable.Error(), fmt.Sprintf("the records up to LSN %d", s))
			require.Contains(t, rep.Unrepairable.Error(), "missing")
			require.Equal(t, before, dirImage(t, dir))
		}
	}
}
