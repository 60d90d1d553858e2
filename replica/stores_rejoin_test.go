package replica

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A 3-node cluster with its stores on disk, one node's directory wiped
// while it is down: restarted on the empty directory, it rejoins and
// catches up by a snapshot install (the leader's log is compacted past
// what it had), and holds every write.
func TestWipedDirRejoinsBySnapshot(t *testing.T) {
	base := t.TempDir()
	trans := map[string]*raft.InmemTransport{}
	nodes := map[string]*Node{}
	start := func(id string) {
		_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
		trans[id] = tr
		for other, o := range trans {
			if other != id {
				tr.Connect(raft.ServerAddress(other), o)
				o.Connect(raft.ServerAddress(id), tr)
			}
		}
		rc := testRaft()
		rc.SnapshotThreshold, rc.TrailingLogs = 16, 4
		n, err := NewNode(Config{ID: id, Cluster: "c", Transport: tr, Dir: filepath.Join(base, id), Raft: rc})
		require.NoError(t, err)
		nodes[id] = n
	}
	var servers []Server
	for _, id := range []string{"n1", "n2", "n3"} {
		start(id)
		servers = append(servers, Server{ID: id, Addr: id})
	}
	defer func() {
		for _, n := range nodes {
			require.NoError(t, n.Close())
		}
	}()
	require.NoError(t, nodes["n1"].Bootstrap(servers...))
	c := &cluster{t: t, nodes: nodes, ids: []string{"n1", "n2", "n3"}, cut: map[string]bool{}}
	want := c.setKeys("a", 50)
	l := c.leader()
	f := c.followers(l)[0]
	id := f.ID()
	require.NoError(t, f.Close())
	require.NoError(t, os.RemoveAll(filepath.Join(base, id)))
	for k, v := range c.setKeys("b", 50) { // while it is down
		want[k] = v
	}
	l = c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // compact past what it had
	first, err := l.disk.Log.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(1), "the log alone cannot catch it up")
	start(id)
	caughtUp(t, nodes[id], c.leader().AppliedIndex())
	require.Equal(t, want, contents(t, nodes[id]))
}
