package replica

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// The leader's newest snapshot is damaged on its disk after Persist, and
// a follower can only catch up by an install (wiped, while the leader's
// log was compacted). raft's CRC check refuses to send the damaged file
// (raft v1.7.2 would retry it until its next snapshot, here never); the
// node takes a new snapshot instead, and the follower catches up with
// every acknowledged write.
func TestDamagedSnapshotOnLeaderIsRetaken(t *testing.T) {
	c := newDiskCluster(t, func(rc *raft.Config) { rc.TrailingLogs = 4 })
	want := c.setKeys("a", 50)
	id := c.followers(c.leader())[0].ID()
	c.stop(id)
	require.NoError(t, os.RemoveAll(c.dir(id)))
	for k, v := range c.setKeys("b", 50) {
		want[k] = v
	}
	l := c.leader()
	require.NoError(t, l.Raft().Snapshot().Error())
	first, err := l.disk.Log.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(1), "the log alone cannot catch it up")
	states, err := filepath.Glob(filepath.Join(c.dir(l.ID()), "snapshots", "*", "state.bin"))
	require.NoError(t, err)
	require.NotEmpty(t, states)
	newest := states[len(states)-1] // names sort by term, index, time
	b, err := os.ReadFile(newest)
	require.NoError(t, err)
	b[len(b)/2] ^= 0xFF
	require.NoError(t, os.WriteFile(newest, b, 0o600))

	n := c.start(id)
	caughtUp(t, n, c.leader().AppliedIndex())
	require.Equal(t, want, contents(t, n))
	require.NoError(t, n.Health())
}
