package replica

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// haltedFollower starts a 3-node cluster, damages one follower's copy of
// the victim's entry and starts it again with timeouts of an hour: it
// never stands for election, and it looks for a halt (retire) only
// hourly, so it stays halted, and in raft, for the whole test. It
// returns the cluster and the halted follower.
func haltedFollower(t *testing.T) (*cluster, *Node) {
	t.Helper()
	c, l := victimCluster(t)
	id := c.followers(l)[0].ID()
	c.stop(id)
	damageInmemEntry(t, c.stores[id], []byte(victim))
	c.tune = func(rc *raft.Config) { rc.HeartbeatTimeout, rc.ElectionTimeout = time.Hour, time.Hour }
	f := c.start(id)
	c.tune = nil
	require.Eventually(t, func() bool { return f.Health() != nil }, waitFor, 5*time.Millisecond)
	return c, f
}

// A halted node answers WaitLeader with ErrCorruptEntry, as its doc says,
// also before it has left raft, while raft still knows the leader
// (before, it returned the leader's ID: a caller would send it requests
// it refuses).
func TestHaltedWaitLeaderBeforeRetire(t *testing.T) {
	_, f := haltedFollower(t)
	require.NotEqual(t, raft.Shutdown, f.Raft().State())
	_, err := f.WaitLeader(context.Background())
	require.ErrorIs(t, err, ErrCorruptEntry)
}

// A node that has left raft after a damaged entry stores nothing more:
// while the two others take writes (they still make a majority of
// three, and make progress), every file of its directory keeps its bytes,
// and it applies nothing.
func TestRetiredNodeDirStaysAsItWas(t *testing.T) {
	ctx := context.Background()
	c := newDiskCluster(t, nil)
	require.NoError(t, c.leader().SetBytes(ctx, "victim", []byte(victim)))
	c.setKeys("a", 5)
	l := c.leader()
	f := c.followers(l)[0]
	id := f.ID()
	caughtUp(t, f, l.AppliedIndex())
	c.stop(id)
	damageEntry(t, c.dir(id), []byte(victim))
	f = c.start(id)
	retired(t, f)
	before, applied := dirSums(t, c.dir(id)), f.AppliedIndex()

	want := c.setKeys("b", 20)
	l = c.leader()
	require.NotEqual(t, id, l.ID())
	for _, o := range c.followers(l) {
		if o != f {
			caughtUp(t, o, l.AppliedIndex())
			got := contents(t, o)
			for k, v := range want {
				require.Equal(t, v, got[k])
			}
		}
	}
	require.Equal(t, before, dirSums(t, c.dir(id)), "the halted node's directory changed")
	require.Equal(t, applied, f.AppliedIndex())
}

// dirSums returns the SHA-256 of every file under dir, by its path.
func dirSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		sums[path] = sha256.Sum256(b)
		return err
	}))
	return sums
}

// Writers busy on a leader as it halts are all answered, none hangs, and
// each ends with ErrCorruptEntry (with ErrUncertain for a write whose
// entry was proposed: the others apply it); none sees ErrClosed, since
// the node is not closed. Later calls get ErrCorruptEntry at once. (The
// halt is stored as applying a damaged entry stores it.)
func TestHaltAnswersWritesInFlight(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	const writers = 16
	errs := make(chan error, writers)
	var wrote atomic.Int64
	for w := range writers {
		go func() {
			for i := 0; ; i++ {
				err := l.SetBytes(ctx, fmt.Sprintf("w%d-%d", w, i), []byte("v"))
				if err != nil {
					errs <- err
					return
				}
				wrote.Add(1)
			}
		}()
	}
	require.Eventually(t, func() bool { return wrote.Load() >= 200 }, waitFor, time.Millisecond)
	halt := fmt.Errorf("%w: the test's", ErrCorruptEntry)
	l.fsm.err.Store(&halt)
	for range writers {
		select {
		case err := <-errs:
			require.ErrorIs(t, err, ErrCorruptEntry)
			require.NotErrorIs(t, err, ErrClosed)
		case <-time.After(waitFor):
			t.Fatal("a write was not answered")
		}
	}
	retired(t, l)
	require.ErrorIs(t, l.SetBytes(ctx, "k", nil), ErrCorruptEntry)
	_, err := l.GetBytes(ctx, "k")
	require.ErrorIs(t, err, ErrCorruptEntry)
	n := c.leader()
	require.NotEqual(t, l.ID(), n.ID())
	require.NoError(t, n.SetBytes(ctx, "after", []byte("halt")))
}

// Close as a leader halts, at several moments of its leaving raft (before
// retire looks, while it hands over, after), returns, with no error, and
// leaves no goroutine of the node's (the package's TestMain checks).
func TestCloseWhileRetiring(t *testing.T) {
	for _, after := range []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 600 * time.Millisecond} {
		c := newCluster(t, 3, nil)
		l := c.leader()
		require.NoError(t, l.SetBytes(t.Context(), "k", []byte("v")))
		halt := fmt.Errorf("%w: the test's", ErrCorruptEntry)
		l.fsm.err.Store(&halt)
		time.Sleep(after) // a moment of retire's; any is right
		closed := make(chan error, 1)
		go func() { closed <- l.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(waitFor):
			t.Fatalf("Close hung %v after the halt", after)
		}
		c.nodes[l.ID()] = nil
		c.closeAll()
	}
}
