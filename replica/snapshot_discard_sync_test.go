package replica

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// discardStore returns a node directory's snapshot store holding one
// snapshot, and the snapshot's ID.
func discardStore(t *testing.T) (fileSnaps, string, string) {
	dir := t.TempDir()
	fs, err := raft.NewFileSnapshotStore(dir, 2, io.Discard)
	require.NoError(t, err)
	s := fileSnaps{FileSnapshotStore: fs, dir: filepath.Join(dir, "snapshots")}
	return s, storeSnapshot(t, s, smallBackup(t, 3)), dir
}

// recordSyncs makes syncDir record the directories it syncs, failing
// on the one named fail, until the test ends.
func recordSyncs(t *testing.T, fail string) *[]string {
	var synced []string
	was := syncDir
	t.Cleanup(func() { syncDir = was })
	syncDir = func(dir string) error {
		synced = append(synced, dir)
		if dir == fail {
			return errors.New("injected: sync failed")
		}
		return was(dir)
	}
	return &synced
}

// Taking a refused snapshot out syncs the node directory (so that
// refused/ lasts), then refused/ with the snapshot in it, then the
// store's directory without it: a power cut at any point leaves the
// snapshot in one of the two.
func TestDiscardSyncsInOrder(t *testing.T) {
	s, id, dir := discardStore(t)
	synced := recordSyncs(t, "")
	require.NoError(t, s.discard(id))
	refused := filepath.Join(dir, "refused")
	require.Equal(t, []string{dir, refused, s.dir}, *synced)
	_, err := os.Stat(filepath.Join(refused, id, "state.bin"))
	require.NoError(t, err, "the snapshot is kept in refused/")
	list, err := s.List()
	require.NoError(t, err)
	require.Empty(t, list, "the store no longer lists it")
}

// If refused/ cannot be made durable, the snapshot is not moved: it
// stays in the store, to be tried again at the next start.
func TestDiscardKeepsTheSnapshotIfRefusedIsNotDurable(t *testing.T) {
	s, id, dir := discardStore(t)
	recordSyncs(t, dir)
	require.Error(t, s.discard(id))
	list, err := s.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].ID)
}
