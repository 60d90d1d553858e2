package replica

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// otherTally is a State that a tally's snapshot does not decode into:
// the snapshot of a build whose State changed.
type otherTally struct{ N []string }

type otherCmd struct{}

func (otherCmd) Apply(*otherTally) error { return nil }

// A node directory started by a build whose State a snapshot does not
// decode into: Restore refuses every snapshot as damaged
// (hurrah.ErrCorrupt), and the node does not start. It must move no
// snapshot out: nothing proves them damaged, and the right build,
// started again on the directory, restores the newest, with every
// command (the log is compacted past the older snapshot).
func TestDiscardKeepsSnapshotsOfAnotherState(t *testing.T) {
	dir := t.TempDir()
	rc := func() *raft.Config { c := fastRaft(); c.TrailingLogs = 1; return c }
	n, err := NewSystemNode[tally, tallyCmd](Config{ID: "s1", Transport: inmemTransport("s1"), Dir: dir, Raft: rc()}, nil)
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "s1", Addr: "s1"}))
	ctx := context.Background()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	for i := range 2 {
		for j := range 5 {
			require.NoError(t, n.Commit(ctx, tallyCmd{Key: fmt.Sprint("k", i, j), Add: 1}))
		}
		require.NoError(t, n.Raft().Snapshot().Error())
	}
	require.NoError(t, n.Close())
	snaps := filepath.Join(dir, "snapshots")
	before := snapshotIDs(t, snaps)
	require.Len(t, before, 2)

	_, err = NewSystemNode[otherTally, otherCmd](Config{ID: "s1", Transport: inmemTransport("s1"), Dir: dir, Raft: rc()}, nil)
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	require.ElementsMatch(t, before, snapshotIDs(t, snaps), "a snapshot of another State was moved out")

	n, err = NewSystemNode[tally, tallyCmd](Config{ID: "s1", Transport: inmemTransport("s1"), Dir: dir, Raft: rc()}, nil)
	require.NoError(t, err)
	defer n.Close()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	require.Len(t, state(t, n), 10)
}
