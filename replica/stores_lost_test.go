package replica

import (
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
