package replica

import (
	"context"
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// A SystemNode's store fails as it appends a command: Commit returns
// ErrStoreFailed (with ErrUncertain), the node halts and leaves raft,
// and refuses a Query; its State keeps every command committed before.
func TestStoreFaultSystemNode(t *testing.T) {
	leftAlone(t)
	fs := newFaultyStore(raft.NewInmemStore())
	n, err := NewSystemNode[tally, tallyCmd](Config{ID: "s1", Transport: inmemTransport("s1"), Raft: fastRaft(),
		LogStore: fs, StableStore: fs, SnapshotStore: raft.NewInmemSnapshotStore()}, nil)
	require.NoError(t, err)
	defer n.Close()
	require.NoError(t, n.Bootstrap(Server{ID: "s1", Addr: "s1"}))
	ctx := context.Background()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	require.NoError(t, n.Commit(ctx, tallyCmd{Key: "a", Add: 2}))

	fs.arm("StoreLogs", syscall.ENOSPC)
	err = n.Commit(ctx, tallyCmd{Key: "a", Add: 3})
	require.ErrorIs(t, err, ErrStoreFailed)
	require.ErrorIs(t, err, ErrUncertain)
	<-n.left
	require.ErrorIs(t, n.Health(), syscall.ENOSPC)
	require.ErrorIs(t, n.Query(ctx, func(*tally) {}, Stale(0)), ErrStoreFailed)
	got, err := hurrah.Query(ctx, n.fsm.sys.Load(), func(s *tally) int { return s.N["a"] })
	require.NoError(t, err)
	require.Equal(t, 2, got)
	require.Zero(t, fs.writesAfterFault())
}
