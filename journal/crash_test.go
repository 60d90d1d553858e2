package journal

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestNewDirectorySurvivesPowerLoss opens a journal in a directory that does
// not exist yet, with parents that do not either, syncs a few entries and
// cuts the power keeping only synced data: the directories must have been
// made durable too, or the synced entries would be lost with them.
func TestNewDirectorySurvivesPowerLoss(t *testing.T) {
	m := vfs.NewMem()
	const dir = "/var/lib/app/db"
	j := open(t, m, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 3, true))

	img := m.Crash(vfs.CrashOptions{})
	again := open(t, img, dir, Options{SyncInterval: quiet})
	requireEntries(t, 1, 3, again.replayed)
	require.NoError(t, again.Close())
	require.NoError(t, j.Close())
}
