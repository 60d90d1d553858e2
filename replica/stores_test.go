package replica

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// diskNode starts node id on the in-memory transport tr with its stores
// in dir.
func diskNode(t *testing.T, id, dir string, tr raft.Transport) *Node {
	t.Helper()
	n, err := NewNode(Config{ID: id, Transport: tr, Dir: dir, Raft: testRaft()})
	require.NoError(t, err)
	return n
}

// A node restarted from its directory (Close, then NewNode on the same
// Dir) has every write it acknowledged, from its snapshot and its log.
func TestRestartFromDirKeepsAcknowledgedWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := diskNode(t, "n1", dir, inmemTransport("n1"))
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err := n.WaitLeader(ctx)
	require.NoError(t, err)
	want := map[string]string{}
	for i := range 200 {
		k, v := fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)
		require.NoError(t, n.SetBytes(ctx, k, []byte(v)))
		want[k] = v
		if i == 120 { // some writes in a snapshot, the rest in the log only
			require.NoError(t, n.Raft().Snapshot().Error())
		}
	}
	require.NoError(t, n.Delete(ctx, "k7"))
	delete(want, "k7")
	require.NoError(t, n.Close())

	n = diskNode(t, "n1", dir, inmemTransport("n1"))
	defer n.Close()
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	_, err = n.GetBytes(ctx, "k0") // linearizable: the log is applied
	require.NoError(t, err)
	require.Equal(t, want, contents(t, n))
}

// A directory is locked while a node has it open: a second node on it
// is refused, and runs once the first is closed.
func TestDirInUseIsRefused(t *testing.T) {
	dir := t.TempDir()
	n := diskNode(t, "n1", dir, inmemTransport("n1"))
	_, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: testRaft()})
	require.ErrorIs(t, err, ErrDirInUse)
	_, err = OpenStores(dir)
	require.ErrorIs(t, err, ErrDirInUse)
	require.NoError(t, n.Close())
	s, err := OpenStores(dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
}

// Dir and a store of one's own are exclusive.
func TestDirWithStoreIsInvalid(t *testing.T) {
	_, err := NewNode(Config{
		ID: "n1", Transport: inmemTransport("n1"), Dir: t.TempDir(), LogStore: raft.NewInmemStore(),
	})
	require.ErrorIs(t, err, ErrInvalidConfig)
}

// inmemTransport returns a new in-memory transport at addr.
func inmemTransport(addr string) *raft.InmemTransport {
	_, tr := raft.NewInmemTransport(raft.ServerAddress(addr))
	return tr
}
