package replica

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// Join adds a node that then holds the data; joining it again is a no-op;
// a duplicate ID or address is refused and changes nothing; Remove takes
// a node out; an unknown ID is refused.
func TestMembership(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	l := c.leader()
	want := c.setKeys("k", 10)
	for _, id := range []string{"n2", "n3"} {
		c.ids = append(c.ids, id)
		c.start(id)
		require.NoError(t, l.Join(ctx, id, id))
	}
	require.NoError(t, l.Join(ctx, "n2", "n2"), "joining again is a no-op")
	members := func() []Server {
		m, err := l.Members(ctx)
		require.NoError(t, err)
		return m
	}
	require.ElementsMatch(t, []Server{{"n1", "n1"}, {"n2", "n2"}, {"n3", "n3"}}, members())
	require.ErrorIs(t, l.Join(ctx, "n2", "elsewhere"), ErrDuplicateID)
	require.ErrorIs(t, l.Join(ctx, "other", "n3"), ErrDuplicateID)
	require.Len(t, members(), 3)
	for _, id := range []string{"n2", "n3"} {
		caughtUp(t, c.nodes[id], l.AppliedIndex())
		require.Equal(t, want, contents(t, c.nodes[id]))
	}

	f := c.nodes["n2"]
	require.ErrorIs(t, f.Join(ctx, "n9", "n9"), ErrNotLeader)
	require.ErrorIs(t, f.Remove(ctx, "n3"), ErrNotLeader)
	require.ErrorIs(t, l.Remove(ctx, "n9"), ErrUnknownMember)
	require.NoError(t, l.Remove(ctx, "n3"))
	require.ElementsMatch(t, []Server{{"n1", "n1"}, {"n2", "n2"}}, members())
	require.NoError(t, l.SetBytes(ctx, "after", []byte("removal")))
	caughtUp(t, f, l.AppliedIndex())
}

// Bootstrap refuses a configuration with a duplicate ID or address, and a
// second bootstrap of a node that holds a cluster.
func TestBootstrapRefusals(t *testing.T) {
	_, tr := raft.NewInmemTransport("a")
	n, err := NewNode(Config{ID: "a", Transport: tr, Raft: testRaft()})
	require.NoError(t, err)
	defer n.Close()
	require.ErrorIs(t, n.Bootstrap(Server{"a", "a"}, Server{"a", "b"}), ErrDuplicateID)
	require.ErrorIs(t, n.Bootstrap(Server{"a", "a"}, Server{"b", "a"}), ErrDuplicateID)
	require.NoError(t, n.Bootstrap(Server{"a", "a"}))
	require.ErrorIs(t, n.Bootstrap(Server{"a", "a"}), raft.ErrCantBootstrap)
}

// NewNode refuses a config without an ID or a transport.
func TestNewNodeRefusesBadConfig(t *testing.T) {
	_, err := NewNode(Config{})
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, tr := raft.NewInmemTransport("a")
	_, err = NewNode(Config{ID: "a", Transport: tr, MaxBatchBytes: -1})
	require.ErrorIs(t, err, ErrInvalidConfig)
}

// A leader that removes itself while writes are in flight steps down and
// stays usable: the removal and every write are answered (raft's
// ShutdownOnRemove would stop it with applied entries' futures
// unanswered, hanging them and Close), and a write after it is refused
// with ErrNotLeader, not left uncertain.
func TestLeaderRemovesItselfUnderLoad(t *testing.T) {
	for range 5 {
		leaderRemovesItself(t)
	}
}

func leaderRemovesItself(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if err := l.SetBytes(ctx, fmt.Sprintf("w%d-%d", w, i), nil); err != nil {
					return
				}
			}
		}()
	}
	require.NoError(t, l.Remove(ctx, l.ID()))
	wg.Wait() // every writer was answered before ctx ran out
	require.NoError(t, ctx.Err(), "a write or the removal hung")
	require.ErrorIs(t, l.SetBytes(context.Background(), "after", nil), ErrNotLeader)
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Close hung")
	}
	c.nodes[l.ID()] = nil
}
