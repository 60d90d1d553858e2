package replica

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
	require.NoError(t, (&Stores{}).Close(), "Stores made by hand: nothing to close")
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

// A directory records its cluster and node: started as another cluster's
// node, or as another node, it is refused with ErrOtherCluster and left
// as it was; started as itself, it runs.
func TestDirOfAnotherClusterIsRefused(t *testing.T) {
	dir := t.TempDir()
	start := func(cluster, id string) (*Node, error) {
		return NewNode(Config{ID: id, Cluster: cluster, Transport: inmemTransport(id), Dir: dir, Raft: testRaft()})
	}
	n, err := start("east", "n1")
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	require.NoError(t, n.SetBytes(context.Background(), "k", []byte("v")))
	require.NoError(t, n.Close())
	before := dirFiles(t, dir)

	for _, c := range []struct{ cluster, id string }{{"west", "n1"}, {"east", "n2"}} {
		_, err = start(c.cluster, c.id)
		require.ErrorIs(t, err, ErrOtherCluster, c)
		require.Equal(t, before, dirFiles(t, dir), "directory unchanged")
	}
	n, err = start("east", "n1")
	require.NoError(t, err)
	defer n.Close()
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	_, err = n.GetBytes(context.Background(), "k")
	require.NoError(t, err)
}

// dirFiles returns each file under dir and its contents, and each
// directory under it (so that a refusal that makes one is seen).
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if err == nil && p != dir {
				m[p] = "(directory)"
			}
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	}))
	return m
}
