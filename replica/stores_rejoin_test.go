package replica

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// diskCluster is a test cluster of three nodes, n1..n3 of cluster "c",
// on raft's in-memory transport, whose stores are on disk, each in its
// directory under base: started again, a node restarts over it.
type diskCluster struct {
	*cluster
	base string
}

// newDiskCluster starts and bootstraps a diskCluster and waits for a
// leader. tune, if not nil, adjusts every node's raft config.
func newDiskCluster(t *testing.T, tune func(*raft.Config)) *diskCluster {
	d := &diskCluster{base: t.TempDir(), cluster: &cluster{
		t: t, ids: []string{"n1", "n2", "n3"}, nodes: map[string]*Node{},
		trans: map[string]*raft.InmemTransport{}, cut: map[string]int{}, tune: tune,
	}}
	var servers []Server
	for _, id := range d.ids {
		d.start(id)
		servers = append(servers, Server{ID: id, Addr: id})
	}
	t.Cleanup(d.closeAll)
	require.NoError(t, d.nodes["n1"].Bootstrap(servers...))
	d.leader()
	return d
}

// dir returns node id's directory.
func (d *diskCluster) dir(id string) string { return filepath.Join(d.base, id) }

// start starts node id over its directory on a new transport, linked to
// every node not cut off.
func (d *diskCluster) start(id string) *Node {
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	d.trans[id] = tr
	d.link()
	rc := testRaft()
	if d.tune != nil {
		d.tune(rc)
	}
	n, err := NewNode(Config{ID: id, Cluster: "c", Transport: tr, Dir: d.dir(id), Raft: rc})
	require.NoError(d.t, err)
	d.nodes[id] = n
	return n
}

// A 3-node cluster with its stores on disk, one node's directory wiped
// while it is down: restarted on the empty directory, it rejoins and
// catches up by a snapshot install (the leader's log is compacted past
// what it had), and holds every write.
func TestWipedDirRejoinsBySnapshot(t *testing.T) {
	c := newDiskCluster(t, func(rc *raft.Config) { rc.SnapshotThreshold, rc.TrailingLogs = 16, 4 })
	want := c.setKeys("a", 50)
	id := c.followers(c.leader())[0].ID()
	c.stop(id)
	require.NoError(t, os.RemoveAll(c.dir(id)))
	for k, v := range c.setKeys("b", 50) { // while it is down
		want[k] = v
	}
	l := c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // compact past what it had
	first, err := l.disk.Log.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(1), "the log alone cannot catch it up")
	n := c.start(id)
	caughtUp(t, n, c.leader().AppliedIndex())
	require.Equal(t, want, contents(t, n))
}
