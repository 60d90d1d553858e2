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

// TestExistingDirectoryMadeDurable opens a journal in a directory that
// exists but whose name was never synced, as an earlier Open that died
// would leave it: Open must make it durable before anything synced in it
// counts.
func TestExistingDirectoryMadeDurable(t *testing.T) {
	m := vfs.NewMem()
	const dir = "/db"
	require.NoError(t, m.MkdirAll(dir)) // its entry in / is not synced
	j := open(t, m, dir, Options{SyncInterval: quiet})
	require.NoError(t, put(t, j.Journal, 1, 2, true))

	again := open(t, m.Crash(vfs.CrashOptions{}), dir, Options{SyncInterval: quiet})
	requireEntries(t, 1, 2, again.replayed)
	require.NoError(t, again.Close())
	require.NoError(t, j.Close())
}
