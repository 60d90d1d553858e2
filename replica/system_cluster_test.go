package replica

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A System replicated in the tests: tallies by name, each with an
// optional ceiling that refuses an Add passing it.
type tally struct {
	N map[string]int
}

// tallyCmd adds Add to the tally Key, refused if it would pass Max (if
// Max > 0); with Put, it sets the tally to Add (a register). Bad, if set
// to what CBOR cannot encode, makes the command unencodable.
type tallyCmd struct {
	Key string
	Add int
	Max int
	Put bool `cbor:",omitempty"`
	Bad any  `cbor:",omitempty"`
}

var errOverMax = errors.New("tally: over its ceiling")

func (c tallyCmd) Apply(s *tally) error {
	if s.N == nil {
		s.N = map[string]int{}
	}
	if c.Put {
		s.N[c.Key] = c.Add
		return nil
	}
	if c.Max > 0 && s.N[c.Key]+c.Add > c.Max {
		return errOverMax
	}
	s.N[c.Key] += c.Add
	return nil
}

// sysCluster is a cluster of SystemNodes over raft's in-memory transport,
// whose stores outlive a node so that it can be restarted over them.
type sysCluster struct {
	t      testing.TB
	ids    []string
	nodes  map[string]*SystemNode[tally, tallyCmd] // nil while a node is down
	trans  map[string]*raft.InmemTransport
	stores map[string]*stores
	tune   func(*raft.Config)
}

// newSysCluster starts n SystemNodes, s1..sn, as one cluster and waits
// for a leader.
func newSysCluster(t testing.TB, n int, tune func(*raft.Config)) *sysCluster {
	c := &sysCluster{t: t, nodes: map[string]*SystemNode[tally, tallyCmd]{},
		trans: map[string]*raft.InmemTransport{}, stores: map[string]*stores{}, tune: tune}
	var servers []Server
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("s%d", i)
		c.ids = append(c.ids, id)
		servers = append(servers, Server{ID: id, Addr: id})
		c.start(id)
	}
	require.NoError(t, c.nodes["s1"].Bootstrap(servers...))
	t.Cleanup(func() {
		for id, n := range c.nodes {
			if n != nil {
				require.NoError(t, n.Close())
				c.nodes[id] = nil
			}
		}
	})
	c.leader()
	return c
}

// start starts node id over its stores (new ones the first time).
func (c *sysCluster) start(id string) *SystemNode[tally, tallyCmd] {
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
	n, err := NewSystemNode[tally, tallyCmd](Config{
		ID: id, Transport: tr, LogStore: st.logs, StableStore: st.stable, SnapshotStore: st.snaps, Raft: rc,
	}, nil)
	require.NoError(c.t, err)
	c.nodes[id] = n
	return n
}

// link connects every pair of running nodes' transports.
func (c *sysCluster) link() {
	for a, ta := range c.trans {
		for b, tb := range c.trans {
			if a != b {
				ta.Connect(raft.ServerAddress(b), tb)
			}
		}
	}
}

// stop closes node id.
func (c *sysCluster) stop(id string) {
	require.NoError(c.t, c.nodes[id].Close())
	c.nodes[id] = nil
	delete(c.trans, id)
	for _, tr := range c.trans {
		tr.Disconnect(raft.ServerAddress(id))
	}
}

// leader waits until one running node leads, and returns it.
func (c *sysCluster) leader() *SystemNode[tally, tallyCmd] {
	var l *SystemNode[tally, tallyCmd]
	require.Eventually(c.t, func() bool {
		l = nil
		for _, n := range c.nodes {
			if n != nil && n.IsLeader() {
				l = n
			}
		}
		return l != nil
	}, waitFor, 5*time.Millisecond, "no leader")
	return l
}

// commit commits cmd through the leader, following it if it changes; a
// refused command is proposed again (an uncertain one is not: it would
// count twice), and its error returned.
func (c *sysCluster) commit(cmd tallyCmd) error {
	for try := 0; ; try++ {
		err := c.leader().Commit(context.Background(), cmd)
		if !errors.Is(err, ErrNotLeader) || try == 20 {
			return err
		}
	}
}

// state returns n's State as it is, read stale (on any node), copied.
func state(t testing.TB, n *SystemNode[tally, tallyCmd]) map[string]int {
	out := map[string]int{}
	require.NoError(t, n.Query(context.Background(), func(s *tally) {
		for k, v := range s.N {
			out[k] = v
		}
	}, Stale(0)))
	return out
}

// sysCaughtUp waits until n has applied at least index.
func sysCaughtUp(t testing.TB, n *SystemNode[tally, tallyCmd], index uint64) {
	require.Eventually(t, func() bool { return n.AppliedIndex() >= index }, waitFor, 5*time.Millisecond,
		"%s applied %d, want %d", n.ID(), n.AppliedIndex(), index)
}
