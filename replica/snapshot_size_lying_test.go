package replica

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// lyingSizeSnaps is a snapshot store whose Open says each snapshot is
// far larger than it is.
type lyingSizeSnaps struct{ raft.SnapshotStore }

func (s lyingSizeSnaps) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	meta, rc, err := s.SnapshotStore.Open(id)
	if meta != nil {
		m := *meta
		m.Size = 1 << 40
		meta = &m
	}
	return meta, rc, err
}

// A store that says a snapshot is larger than it is (a custom store, or
// raft's file store with its meta.json garbled: no checksum covers it)
// does not let a forged count of keys size the map by that size: its
// restore makes room as for a reader of unknown size, for 1M keys at most
// (some 100 MB here), where the lie made room for the 4M keys forged (some
// 400 MB; a count of 1<<30 would ask for some 100 GB).
func TestRestoreForgedCountLyingSize(t *testing.T) {
	b := smallBackup(t, 3)
	forgeCount(b, 1<<22)
	snaps := raft.NewInmemSnapshotStore()
	storeSnapshot(t, snaps, b)
	allocated, err := startAllocs(lyingSizeSnaps{snaps})
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	require.Less(t, allocated, uint64(200<<20), "bytes allocated")
}

// A node directory's snapshot store gives a Restore the size of the
// snapshot's state file, not the one its meta.json claims.
func TestSnapshotSizeOfFileStore(t *testing.T) {
	dir := t.TempDir()
	fs, err := raft.NewFileSnapshotStore(dir, 1, io.Discard)
	require.NoError(t, err)
	b := smallBackup(t, 3)
	m, err := newFSM(context.Background())
	require.NoError(t, err)
	defer m.close()
	snaps := guardSnaps(fileSnaps{FileSnapshotStore: fs, dir: filepath.Join(dir, "snapshots")}, m, nil)
	id := storeSnapshot(t, snaps, b)
	metaPath := filepath.Join(dir, "snapshots", id, "meta.json")
	j, err := os.ReadFile(metaPath)
	require.NoError(t, err)
	lie := strings.Replace(string(j), fmt.Sprintf(`"Size":%d`, len(b)), `"Size":1099511627776`, 1)
	require.NotEqual(t, string(j), lie)
	require.NoError(t, os.WriteFile(metaPath, []byte(lie), 0o600))
	meta, rc, err := snaps.Open(id)
	require.NoError(t, err)
	defer rc.Close()
	require.Equal(t, int64(1<<40), meta.Size)
	size, ok := snapshotSize(rc)
	require.True(t, ok)
	require.Equal(t, int64(len(b)), size)
}

// Raft's file snapshot store given as Config.SnapshotStore gives a
// Restore no size: it would read it from meta.json, which no checksum
// covers, so a garbled one could make a restore ask for terabytes.
func TestSnapshotSizeOfRaftsFileStoreNotTrusted(t *testing.T) {
	fs, err := raft.NewFileSnapshotStore(t.TempDir(), 1, io.Discard)
	require.NoError(t, err)
	m, err := newFSM(context.Background())
	require.NoError(t, err)
	defer m.close()
	snaps := guardSnaps(fs, m, nil)
	id := storeSnapshot(t, snaps, smallBackup(t, 3))
	meta, rc, err := snaps.Open(id)
	require.NoError(t, err)
	defer rc.Close()
	require.Positive(t, meta.Size)
	_, ok := snapshotSize(rc)
	require.False(t, ok)
}
