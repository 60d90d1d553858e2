package replica

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A whole file lost from a node's directory, the node down: raft.db (the
// log, the term and the vote) beside snapshots, or snapshots/ beside a
// log compacted past its start. Either is refused with ErrCorruptDir and
// the directory left as it was: from a snapshot alone the node would
// lose the writes it acknowledged after it, and forget its vote; from a
// compacted log alone raft would panic. Wiped and started again, the
// node rejoins and catches up with every write.
func TestLostFileIsRefused(t *testing.T) {
	for _, lost := range []string{logFile, "snapshots"} {
		c := newDiskCluster(t, func(rc *raft.Config) { rc.SnapshotThreshold, rc.TrailingLogs = 1<<20, 4 })
		want := c.setKeys("a", 50)
		l := c.leader()
		f := c.followers(l)[0]
		id := f.ID()
		caughtUp(t, f, l.AppliedIndex())
		require.NoError(t, f.Raft().Snapshot().Error())
		first, err := f.disk.Log.FirstIndex()
		require.NoError(t, err)
		require.Greater(t, first, uint64(1), "compacted")
		for k, v := range c.setKeys("b", 10) { // after the snapshot
			want[k] = v
		}
		caughtUp(t, f, c.leader().AppliedIndex())
		c.stop(id)

		require.NoError(t, os.RemoveAll(filepath.Join(c.dir(id), lost)))
		before := dirFiles(t, c.dir(id))
		tr := inmemTransport(id)
		_, err = NewNode(Config{ID: id, Cluster: "c", Transport: tr, Dir: c.dir(id), Raft: testRaft()})
		require.ErrorIs(t, err, ErrCorruptDir, lost)
		require.NoError(t, tr.Close())
		require.Equal(t, before, dirFiles(t, c.dir(id)), "%s: the refusal changed the directory", lost)

		require.NoError(t, os.RemoveAll(c.dir(id)))
		f = c.start(id)
		caughtUp(t, f, c.leader().AppliedIndex())
		require.Equal(t, want, contents(t, f), lost)
	}
}

// snapshots/ lost while the log still starts at index 1 (not compacted):
// the node restarts from the log alone, with every write.
func TestLostSnapshotsBesideWholeLog(t *testing.T) {
	dir := t.TempDir()
	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	want := map[string]string{}
	for i := range 40 {
		k := fmt.Sprintf("k%d", i)
		require.NoError(t, n.SetBytes(context.Background(), k, []byte(k)))
		want[k] = k
		if i == 20 {
			require.NoError(t, n.Raft().Snapshot().Error()) // fastRaft keeps 10240 trailing logs
		}
	}
	first, err := n.disk.Log.FirstIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(1), first)
	require.NoError(t, n.Close())
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "snapshots")))

	n, err = NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	defer n.Close()
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	_, err = n.GetBytes(context.Background(), "k0") // linearizable: the log is applied
	require.NoError(t, err)
	require.Equal(t, want, contents(t, n))
}
