package replica

import (
	"context"
	"syscall"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A store fails as a node bootstraps: as raft writes the first term, or
// the first entry, or reads that entry back to make it live (raft v1.7.2
// panics there: liveBootstrap). Bootstrap returns ErrStoreFailed wrapping
// the store's error, and the node halts and leaves raft, with nothing
// written after the failure. Started again on the same stores, the
// cause mended, it holds what landed before the failure: nothing, and it
// bootstraps; the term alone, and raft refuses to bootstrap it
// (raft.ErrCantBootstrap: wipe it, or Join it); or the cluster, which it
// leads (and raft refuses to bootstrap it again).
func TestStoreFaultBootstrap(t *testing.T) {
	for _, k := range []struct {
		op     string
		landed int // 0: nothing; 1: the term; 2: the term and the entry
	}{
		{"SetUint64 CurrentTerm", 0},
		{"StoreLogs", 1},
		{"GetLog", 2},
	} {
		t.Run(k.op, func(t *testing.T) {
			leftAlone(t)
			ctx := context.Background()
			mem := raft.NewInmemStore()
			snaps := raft.NewInmemSnapshotStore()
			fs := newFaultyStore(mem)
			n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Raft: testRaft(),
				LogStore: fs, StableStore: fs, SnapshotStore: snaps})
			require.NoError(t, err)
			t.Cleanup(func() { n.Close() })
			fs.arm(k.op, syscall.EIO)
			err = n.Bootstrap(Server{ID: "n1", Addr: "n1"})
			require.ErrorIs(t, err, ErrStoreFailed)
			require.ErrorIs(t, err, syscall.EIO)
			storeFailed(t, n, syscall.EIO)
			require.NoError(t, n.Close())
			require.Zero(t, fs.writesAfterFault())

			n, err = NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Raft: testRaft(),
				LogStore: mem, StableStore: mem, SnapshotStore: snaps})
			require.NoError(t, err)
			defer n.Close()
			err = n.Bootstrap(Server{ID: "n1", Addr: "n1"})
			if k.landed == 0 {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, raft.ErrCantBootstrap)
			}
			if k.landed == 1 {
				members, err := n.Members(ctx)
				require.NoError(t, err)
				require.Empty(t, members)
				return
			}
			_, err = n.WaitLeader(ctx)
			require.NoError(t, err)
			require.NoError(t, n.SetBytes(ctx, "k", []byte("v")))
		})
	}
}
