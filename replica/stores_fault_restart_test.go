package replica

import (
	"context"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A one-node cluster on disk whose log fills up under eight writers:
// each write is acknowledged, or returns ErrStoreFailed (or, queued
// behind the failure, another error of a halted node), and nothing
// hangs. Closed and started again on its directory, the node holds every
// write it acknowledged.
func TestStoreFaultRestartKeepsAcked(t *testing.T) {
	leftAlone(t)
	dir := t.TempDir()
	s, err := OpenStores(dir)
	require.NoError(t, err)
	fs := newFaultyStore(s.bolt)
	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Raft: fastRaft(),
		LogStore: fs, StableStore: fs, SnapshotStore: s.Snapshots})
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	ctx := context.Background()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)

	var mu sync.Mutex
	acked := map[string]bool{}
	writers(t, n, 8, func(k string) {
		mu.Lock()
		defer mu.Unlock()
		if acked[k] = true; len(acked) == 300 {
			fs.arm("StoreLogs", syscall.ENOSPC)
		}
	}, ErrStoreFailed, ErrUncertain)()
	require.ErrorIs(t, n.Health(), ErrStoreFailed)
	<-n.left
	require.NoError(t, n.Close())
	require.NoError(t, s.Close())
	require.Zero(t, fs.writesAfterFault())

	n, err = NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Raft: fastRaft(), Dir: dir})
	require.NoError(t, err)
	defer n.Close()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	_, err = n.GetBytes(ctx, "g0-0") // linearizable: the log is applied
	require.NoError(t, err)
	have := contents(t, n)
	for k := range acked {
		require.Equal(t, k, have[k], "acknowledged write %s lost", k)
	}
	t.Logf("%d acknowledged writes, all kept", len(acked))
}
