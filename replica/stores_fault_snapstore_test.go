package replica

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// faultySnaps is a snapshot store whose Create, or its sinks' Write,
// fails while armed.
type faultySnaps struct {
	raft.SnapshotStore
	mu            sync.Mutex
	create, write error
	refused       int // Creates failed
	made          int // Creates that made a sink
}

// arm sets the errors of Create and of a sink's Write (nil: none).
func (s *faultySnaps) arm(create, write error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.create, s.write = create, write
}

func (s *faultySnaps) Create(v raft.SnapshotVersion, index, term uint64, conf raft.Configuration,
	confIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	s.mu.Lock()
	create, write := s.create, s.write
	s.mu.Unlock()
	if create != nil {
		s.mu.Lock()
		s.refused++
		s.mu.Unlock()
		return nil, create
	}
	sink, err := s.SnapshotStore.Create(v, index, term, conf, confIndex, trans)
	if err == nil {
		s.mu.Lock()
		s.made++
		s.mu.Unlock()
	}
	if err != nil || write == nil {
		return sink, err
	}
	return failingSink{sink, write}, nil
}

// failingSink is a sink whose every Write fails with err.
type failingSink struct {
	raft.SnapshotSink
	err error
}

func (f failingSink) Write([]byte) (int, error) { return 0, f.err }

// The snapshot store fails as the leader snapshots (Create, or a write
// of the sink): raft's Snapshot returns the error, and nothing else
// changes: the node stays healthy, writes land, and a later snapshot
// succeeds. A follower whose store fails as it takes an install keeps
// its state, stays healthy, and catches up once the store works again.
// (Raft handles these failures itself: a snapshot cut short leaves
// nothing raft reads, so the guard does not stop the node for them.)
func TestStoreFaultSnapshotStore(t *testing.T) {
	c, fs := faultCluster(t, func(rc *raft.Config) { rc.TrailingLogs = 4 })
	want := c.setKeys("a", 10)
	l := c.leader()
	for _, e := range [][2]error{{syscall.ENOSPC, nil}, {nil, syscall.EIO}} {
		fs[l.ID()].snaps.arm(e[0], e[1])
		require.Error(t, l.Raft().Snapshot().Error())
		require.NoError(t, l.Health())
		require.NoError(t, l.SetBytes(context.Background(), "during", []byte("snapshot fault")))
		want["during"] = "snapshot fault"
	}
	fs[l.ID()].snaps.arm(nil, nil)

	f := c.followers(l)[0]
	c.partition(f.ID())
	for k, v := range c.setKeys("b", 20) {
		want[k] = v
	}
	l = c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // compacts past what f has
	before := f.AppliedIndex()
	fs[f.ID()].snaps.arm(syscall.ENOSPC, nil)
	c.heal(f.ID())
	require.Eventually(t, func() bool {
		fs[f.ID()].snaps.mu.Lock()
		defer fs[f.ID()].snaps.mu.Unlock()
		return fs[f.ID()].snaps.refused >= 2
	}, waitFor, 5*time.Millisecond, "the leader did not retry the install")
	require.NoError(t, f.Health())
	require.Equal(t, before, f.AppliedIndex())
	fs[f.ID()].snaps.arm(nil, nil)
	caughtUp(t, f, c.leader().AppliedIndex())
	require.NoError(t, f.Health())
	require.Equal(t, want, contents(t, f))
}

// garblingTransport is raft's in-memory transport whose snapshot
// installs, while garble is set, carry one byte changed.
type garblingTransport struct {
	*raft.InmemTransport
	garble atomic.Bool
	sent   atomic.Int64 // installs garbled
	tried  atomic.Int64 // installs sent, once answered
}

func (g *garblingTransport) InstallSnapshot(id raft.ServerID, target raft.ServerAddress,
	args *raft.InstallSnapshotRequest, resp *raft.InstallSnapshotResponse, data io.Reader) error {
	if g.garble.Load() {
		g.sent.Add(1)
		data = &garbled{r: data, at: args.Size / 2}
	}
	defer g.tried.Add(1)
	return g.InmemTransport.InstallSnapshot(id, target, args, resp, data)
}

// garbled reads r with the byte at offset at flipped.
type garbled struct {
	r   io.Reader
	at  int64
	off int64
}

func (g *garbled) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if i := g.at - g.off; i >= 0 && i < int64(n) {
		p[i] ^= 0xFF
	}
	g.off += int64(n)
	return n, err
}

// A snapshot damaged on its way to a follower (a byte changed in the
// stream: raft's transport has no checksum, and the follower's snapshot
// store computes its CRC over what it received) is refused by the
// follower's Restore (hurrah.ErrCorrupt): its state stays as it was, it
// stays healthy, the leader sends it again, and once a whole copy
// arrives the follower holds every write.
func TestSnapshotGarbledInTransit(t *testing.T) {
	c, fs := faultCluster(t, func(rc *raft.Config) { rc.TrailingLogs = 4 })
	want := c.setKeys("a", 10)
	l := c.leader()
	f := c.followers(l)[0]
	// All of it applied first: else a heartbeat after the heal could
	// commit an entry f held already, and f would apply it.
	caughtUp(t, f, l.AppliedIndex())
	c.partition(f.ID())
	for k, v := range c.setKeys("b", 20) {
		want[k] = v
	}
	l = c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // compacts past what f has
	had, before := contents(t, f), f.AppliedIndex()
	fs[l.ID()].trans.garble.Store(true)
	c.heal(f.ID())
	require.Eventually(t, func() bool { return fs[l.ID()].trans.sent.Load() >= 2 },
		waitFor, 5*time.Millisecond, "the leader did not send the install again")
	require.NoError(t, f.Health())
	require.Equal(t, before, f.AppliedIndex())
	require.Equal(t, had, contents(t, f))
	fs[l.ID()].trans.garble.Store(false)
	caughtUp(t, f, c.leader().AppliedIndex())
	require.Equal(t, want, contents(t, f))
}

// A node whose store has failed takes no snapshot install in the time
// before it leaves raft (here it would not leave within the test: its
// timeouts, and retire's look, are an hour): raft writes an install to
// the snapshot store before Restore sees it, so the store refuses to
// make one once the machine has halted. Nothing more lands on its disk,
// and its state and AppliedIndex stay as they were.
func TestHaltedNodeTakesNoInstall(t *testing.T) {
	nodes := 0
	c, fs := faultCluster(t, func(rc *raft.Config) {
		rc.TrailingLogs = 4
		if nodes++; nodes == 3 { // n3: it never stands, and retire looks hourly
			rc.HeartbeatTimeout, rc.ElectionTimeout = time.Hour, time.Hour
		}
	})
	want := c.setKeys("a", 10)
	f := c.nodes["n3"]
	caughtUp(t, f, c.leader().AppliedIndex())
	c.partition(f.ID())
	c.setKeys("b", 20)
	l := c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // compacts past what f has
	before := f.AppliedIndex()
	f.guard.fail("injected", syscall.EIO) // as at a store's failure
	c.heal(f.ID())
	require.Eventually(t, func() bool { return fs[l.ID()].trans.tried.Load() >= 1 },
		waitFor, 5*time.Millisecond, "the leader sent no install")
	require.False(t, f.Left())
	require.ErrorIs(t, f.Health(), syscall.EIO)
	require.Equal(t, before, f.AppliedIndex())
	fs[f.ID()].snaps.mu.Lock()
	made := fs[f.ID()].snaps.made
	fs[f.ID()].snaps.mu.Unlock()
	require.Zero(t, made, "snapshots written after the failure")
	survivors(t, c, f.ID(), want)
}
