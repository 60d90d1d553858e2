package replica

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// flipStore is a snapshot store whose snapshots read back with one byte
// flipped: damage on the disk under raft's snapshot store.
type flipStore struct {
	raft.SnapshotStore
	at int
}

func (s flipStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	meta, rc, err := s.SnapshotStore.Open(id)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, err
	}
	b[s.at%len(b)] ^= 0x10
	return meta, io.NopCloser(bytes.NewReader(b)), nil
}

// A node restarted over a damaged snapshot refuses to start, rather than
// start from a wrong state; over the intact one it starts and has it all.
func TestRestartRefusesDamagedSnapshot(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	want := setKeys(t, l, "k", 30)
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	require.NoError(t, f.Raft().Snapshot().Error())
	id := f.ID()
	c.stop(id)

	st := c.stores[id]
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	_, err := NewNode(Config{
		ID: id, Transport: tr, LogStore: st.logs, StableStore: st.stable,
		SnapshotStore: flipStore{st.snaps, 200}, Raft: testRaft(), ScratchDir: t.TempDir(),
	})
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	tr.Close()

	f = c.start(id)
	caughtUp(t, f, l.AppliedIndex())
	require.Equal(t, want, contents(t, f))
}
