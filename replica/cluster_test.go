package replica

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A test cluster: nodes on raft's in-memory transport, whose stores
// outlive a node so that it can be restarted over them, and whose links
// can be cut and healed.

// waitFor is how long a test waits for a cluster to settle (an election,
// a catch-up) before it fails.
const waitFor = 20 * time.Second

// stores are a node's raft stores: what it keeps across a restart.
type stores struct {
	logs, stable *raft.InmemStore
	snaps        *raft.InmemSnapshotStore
}

type cluster struct {
	t      testing.TB
	ids    []string
	nodes  map[string]*Node // nil while a node is down
	trans  map[string]*raft.InmemTransport
	stores map[string]*stores
	cut    map[string]int // partitioned nodes: the number of their side (see partition)
	sides  int            // the sides made so far
	tune   func(*raft.Config)
}

// testRaft returns a raft config with short timeouts and no logging.
func testRaft() *raft.Config {
	c := raft.DefaultConfig()
	c.HeartbeatTimeout = 250 * time.Millisecond
	c.ElectionTimeout = 250 * time.Millisecond
	c.LeaderLeaseTimeout = 250 * time.Millisecond
	c.CommitTimeout = 5 * time.Millisecond
	c.Logger = hclog.NewNullLogger()
	return c
}

// newCluster starts n nodes, n1..nn, bootstraps them as one cluster and
// waits for a leader. tune, if not nil, adjusts every node's raft config.
func newCluster(t testing.TB, n int, tune func(*raft.Config)) *cluster {
	c := &cluster{
		t: t, nodes: map[string]*Node{}, trans: map[string]*raft.InmemTransport{},
		stores: map[string]*stores{}, cut: map[string]int{}, tune: tune,
	}
	var servers []Server
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("n%d", i)
		c.ids = append(c.ids, id)
		servers = append(servers, Server{ID: id, Addr: id})
		c.start(id)
	}
	require.NoError(t, c.nodes["n1"].Bootstrap(servers...))
	t.Cleanup(c.closeAll)
	c.leader()
	return c
}

// start starts node id over its stores (new ones the first time) on a new
// transport, linked to every node not cut off.
func (c *cluster) start(id string) *Node {
	st := c.stores[id]
	if st == nil {
		st = &stores{logs: raft.NewInmemStore(), stable: raft.NewInmemStore(), snaps: raft.NewInmemSnapshotStore()}
		c.stores[id] = st
	}
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	c.trans[id] = tr
	c.link()
	rc := testRaft()
	if c.tune != nil {
		c.tune(rc)
	}
	n, err := NewNode(Config{
		ID: id, Transport: tr, LogStore: st.logs, StableStore: st.stable, SnapshotStore: st.snaps,
		Raft: rc,
	})
	require.NoError(c.t, err)
	c.nodes[id] = n
	return n
}

// link connects every pair of transports of nodes on one side (neither
// cut off, or both cut off together), and disconnects the others.
func (c *cluster) link() {
	for a, ta := range c.trans {
		for b, tb := range c.trans {
			switch {
			case a == b:
			case c.cut[a] != c.cut[b]:
				ta.Disconnect(raft.ServerAddress(b))
			default:
				ta.Connect(raft.ServerAddress(b), tb)
			}
		}
	}
}

// partition cuts ids off from every other node, together: they still
// reach each other, a side of their own; heal links one again.
func (c *cluster) partition(ids ...string) {
	c.sides++
	for _, id := range ids {
		c.cut[id] = c.sides
	}
	c.link()
}

func (c *cluster) heal(id string) { delete(c.cut, id); c.link() }

// stop closes node id; start starts it again over its stores.
func (c *cluster) stop(id string) {
	require.NoError(c.t, c.nodes[id].Close())
	c.nodes[id] = nil
	delete(c.trans, id)
	c.link()
}

func (c *cluster) closeAll() {
	for id, n := range c.nodes {
		if n != nil {
			require.NoError(c.t, n.Close())
			c.nodes[id] = nil
		}
	}
}

// leader waits until one running node not cut off leads and the others
// in its part agree, and returns it.
func (c *cluster) leader() *Node {
	var l *Node
	require.Eventually(c.t, func() bool {
		l = nil
		for id, n := range c.nodes {
			if n != nil && c.cut[id] == 0 && n.IsLeader() {
				l = n
			}
		}
		return l != nil
	}, waitFor, 5*time.Millisecond, "no leader")
	return l
}

// followers returns the running nodes other than l.
func (c *cluster) followers(l *Node) []*Node {
	var out []*Node
	for _, id := range c.ids {
		if n := c.nodes[id]; n != nil && n != l {
			out = append(out, n)
		}
	}
	return out
}

// caughtUp waits until n has applied at least index.
func caughtUp(t *testing.T, n *Node, index uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return n.AppliedIndex() >= index }, waitFor, 5*time.Millisecond,
		"%s applied %d, want %d", n.ID(), n.AppliedIndex(), index)
}

// contents returns every key of n's local store and its value.
func contents(t *testing.T, n *Node) map[string]string {
	t.Helper()
	v, err := n.db().View(context.Background())
	require.NoError(t, err)
	defer v.Close()
	m := map[string]string{}
	for k, b := range v.All() {
		m[k] = string(b)
	}
	return m
}

// setKeys sets prefix0..prefix(n-1) to v0.. through the leader, following
// it if it changes (a loaded machine can delay heartbeats past an election
// timeout): a refused or uncertain set is set again, which a blind set
// allows.
func (c *cluster) setKeys(prefix string, n int) map[string]string {
	c.t.Helper()
	want := map[string]string{}
	for i := range n {
		k, v := fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("v%d", i)
		for try := 0; ; try++ {
			err := c.leader().SetBytes(context.Background(), k, []byte(v))
			if err == nil {
				break
			}
			if try == 20 || !(errors.Is(err, ErrNotLeader) || errors.Is(err, ErrUncertain)) {
				require.NoError(c.t, err)
			}
		}
		want[k] = v
	}
	return want
}
