package replica

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// victim is the value whose entry the tests here damage.
const victim = "value-as-written"

// victimCluster starts a 3-node cluster, sets "victim" to victim, waits
// until every node has applied it, and returns the cluster and its
// leader.
func victimCluster(t *testing.T) (*cluster, *Node) {
	t.Helper()
	leftAlone(t)
	c := newCluster(t, 3, nil)
	require.NoError(t, c.leader().SetBytes(t.Context(), "victim", []byte(victim)))
	l := c.leader()
	for _, f := range c.followers(l) {
		caughtUp(t, f, l.AppliedIndex())
	}
	return c, l
}

// leftAlone checks, once the test and every cleanup registered after
// this call are done, that every goroutine started since has ended. A
// halted leader's handover is raft's goroutine, which raft's Shutdown
// does not wait for: sent to a node gone, it ends when its RPC times out
// (5 s on raft's in-memory transport), so the check waits that long.
func leftAlone(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		var err error
		if !assert.Eventually(t, func() bool { err = goleak.Find(ignore); return err == nil }, waitFor, 50*time.Millisecond) {
			t.Error(err)
		}
	})
}

// retired waits until n has halted and left raft (raft's State is no
// sign: raft v1.7.2 may set it after Shutdown).
func retired(t *testing.T, n *Node) {
	t.Helper()
	select {
	case <-n.left:
	case <-time.After(waitFor):
		t.Fatalf("%s did not leave raft (health %v)", n.ID(), n.Health())
	}
	require.ErrorIs(t, n.Health(), ErrCorruptEntry)
	require.False(t, n.IsLeader())
}

// raftLog is a raft log's text, safe for concurrent use.
type raftLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *raftLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// since returns what was logged from byte at on, and where it ends.
func (l *raftLog) since(at int) (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf.Bytes()[at:]), l.buf.Len()
}

// Two nodes of three halt: they leave raft, so they neither vote nor
// stand. The one node that still applies cannot win a majority: its log
// shows election after election, no vote granted, and no one leads
// (before, the halted nodes voted for it, and it led a cluster that only
// it applied; or one of them led, and handed over, for ever).
func TestHaltedNodesDoNotVote(t *testing.T) {
	ctx := context.Background()
	c, l := victimCluster(t)
	ids := []string{c.followers(l)[0].ID(), c.followers(l)[1].ID()}
	for _, id := range c.ids {
		c.stop(id)
	}
	for _, id := range ids {
		damageInmemEntry(t, c.stores[id], []byte(victim))
	}
	logged := &raftLog{}
	c.tune = func(rc *raft.Config) {
		rc.Logger = hclog.New(&hclog.LoggerOptions{Output: logged, Level: hclog.Debug})
	}
	l = c.start(l.ID())
	c.tune = nil
	halted := []*Node{c.start(ids[0]), c.start(ids[1])}
	for _, h := range halted {
		retired(t, h)
		_, err := h.WaitLeader(ctx)
		require.ErrorIs(t, err, ErrCorruptEntry)
	}
	// Only the elections l begins after both have left count: a vote one
	// granted before it left (it applies nothing until a leader tells it
	// the commit index, so someone leads first) may reach l later, on a
	// loaded machine, and win it a term that it then gives up.
	_, gone := logged.since(0)
	at := -1
	require.Eventually(t, func() bool {
		tail, _ := logged.since(gone)
		if i := strings.Index(tail, "entering candidate state"); i >= 0 {
			at = gone + i
		}
		return at >= 0
	}, waitFor, 5*time.Millisecond, "kept the lead alone, or held no elections")
	var tail string
	require.Eventually(t, func() bool {
		tail, _ = logged.since(at)
		return strings.Count(tail, "restarting election") >= 3
	}, waitFor, 5*time.Millisecond, "held no elections")
	require.False(t, l.IsLeader(), "leads alone")
	for _, id := range ids {
		require.NotContains(t, tail, "vote granted: from="+id) // pre-votes too
	}
	require.NotContains(t, tail, "election won")
	_, err := l.GetBytes(ctx, "victim")
	require.ErrorAs(t, err, new(*NotLeaderError))
}

// Every node halts: each leaves raft, so leadership no longer bounces
// between them (before, each one elected handed the lead over in turn,
// for ever), and Close is clean and leaks nothing (leftAlone).
func TestAllHaltedNoChurn(t *testing.T) {
	ctx := context.Background()
	c, _ := victimCluster(t)
	for _, id := range c.ids {
		c.stop(id)
		damageInmemEntry(t, c.stores[id], []byte(victim))
	}
	for _, id := range c.ids {
		c.start(id)
	}
	for _, id := range c.ids {
		n := c.nodes[id]
		retired(t, n)
		require.ErrorIs(t, n.SetBytes(ctx, "x", []byte("y")), ErrCorruptEntry)
		_, err := n.GetBytes(ctx, "victim", Stale(0))
		require.ErrorIs(t, err, ErrCorruptEntry)
		_, err = n.Members(ctx)
		require.ErrorIs(t, err, ErrCorruptEntry)
		require.ErrorIs(t, n.Remove(ctx, id), ErrCorruptEntry)
	}
	c.closeAll() // and victimCluster checks that nothing is left running
}

// A node that halts while it leads hands leadership over before it
// leaves raft: the cluster does not wait out an election timeout. Here
// the node that takes it over would not stand for election on its own
// within the test's time.
func TestHaltedLeaderHandsOverAndLeaves(t *testing.T) {
	c, l := victimCluster(t)
	bad, slow := c.followers(l)[0].ID(), c.followers(l)[1].ID()
	for _, id := range c.ids {
		c.stop(id)
	}
	damageInmemEntry(t, c.stores[bad], []byte(victim))
	led, took := make(chan bool, 16), make(chan bool, 16)
	c.tune = func(rc *raft.Config) { rc.NotifyCh = led }
	h := c.start(bad)                // it stands first, and leads before it applies
	c.tune = func(rc *raft.Config) { // it never stands on its own
		rc.HeartbeatTimeout, rc.ElectionTimeout, rc.NotifyCh = time.Hour, time.Hour, took
	}
	c.start(slow)
	c.tune = nil
	require.True(t, <-led, "the damaged node led")
	retired(t, h)
	select {
	case v := <-took:
		require.True(t, v)
	case <-time.After(waitFor):
		t.Fatal("leadership was not handed over")
	}
}
