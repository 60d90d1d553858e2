package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// faultyStore is a raft log and stable store (raft's in-memory one, or
// raft-boltdb's) with faults injected: an operation (a method's name, and
// for the stable store's the key, as "SetUint64 CurrentTerm") armed with
// an error fails with it, every time, from the moment it is armed; armed
// with errPanic, it panics, as bbolt does on a damaged page. Armed as
// "<op> after <op2>", op fails only right after the write op2.
type faultyStore struct {
	raft.LogStore
	raft.StableStore
	mu     sync.Mutex
	armed  map[string]error
	hit    chan string        // the first failed operation
	landed int                // writes that reached the store after the first failure
	last   string             // the last write that reached the store
	snaps  *faultySnaps       // the node's snapshot store, in faultCluster
	trans  *garblingTransport // the node's transport, in faultCluster
}

// errPanic, armed, makes an operation panic.
var errPanic = errors.New("injected: panic")

// panicking, armed, makes an operation panic with its error.
type panicking struct{ err error }

func (p panicking) Error() string { return "injected: panic with " + p.err.Error() }

// inner is both of raft's stores, as raft.InmemStore and raft-boltdb's
// BoltStore are.
type inner interface {
	raft.LogStore
	raft.StableStore
}

func newFaultyStore(s inner) *faultyStore {
	return &faultyStore{LogStore: s, StableStore: s, armed: map[string]error{}, hit: make(chan string, 1)}
}

// arm makes op fail with err from now on.
func (f *faultyStore) arm(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed[op] = err
}

// check returns op's injected error, if armed (or panics, for errPanic);
// a write that is not refused counts as landed once anything has failed.
func (f *faultyStore) check(op string, write bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.armed[op]
	if err == nil {
		err = f.armed[op+" after "+f.last]
	}
	if write && err == nil {
		f.last = op
	}
	switch {
	case err != nil:
		select {
		case f.hit <- op:
		default:
		}
		if err == errPanic {
			panic("injected: invalid page type")
		}
		if p, ok := err.(panicking); ok {
			panic(p.err)
		}
	case write && len(f.hit) > 0:
		f.landed++
	}
	return err
}

// writesAfterFault returns how many writes reached the store after its
// first injected failure.
func (f *faultyStore) writesAfterFault() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.landed
}

func (f *faultyStore) StoreLog(l *raft.Log) error { return f.StoreLogs([]*raft.Log{l}) }

func (f *faultyStore) StoreLogs(l []*raft.Log) error {
	if err := f.check("StoreLogs", true); err != nil {
		return err
	}
	return f.LogStore.StoreLogs(l)
}

func (f *faultyStore) GetLog(i uint64, l *raft.Log) error {
	if err := f.check("GetLog", false); err != nil {
		return err
	}
	return f.LogStore.GetLog(i, l)
}

func (f *faultyStore) DeleteRange(lo, hi uint64) error {
	if err := f.check("DeleteRange", true); err != nil {
		return err
	}
	return f.LogStore.DeleteRange(lo, hi)
}

func (f *faultyStore) Set(k, v []byte) error {
	if err := f.check("Set "+string(k), true); err != nil {
		return err
	}
	return f.StableStore.Set(k, v)
}

func (f *faultyStore) SetUint64(k []byte, v uint64) error {
	if err := f.check("SetUint64 "+string(k), true); err != nil {
		return err
	}
	return f.StableStore.SetUint64(k, v)
}

func (f *faultyStore) GetUint64(k []byte) (uint64, error) {
	if err := f.check("GetUint64 "+string(k), false); err != nil {
		return 0, err
	}
	return f.StableStore.GetUint64(k)
}

// faultCluster starts a 3-node cluster whose nodes keep raft's log and
// stable store in faultyStores (returned by ID), and their snapshots in
// faultySnaps, with the goroutine check of leftAlone, and waits for a
// leader. tune, if not nil, adjusts every node's raft config.
func faultCluster(t *testing.T, tune func(*raft.Config)) (*cluster, map[string]*faultyStore) {
	t.Helper()
	leftAlone(t)
	c := &cluster{t: t, nodes: map[string]*Node{}, trans: map[string]*raft.InmemTransport{},
		stores: map[string]*stores{}, cut: map[string]int{}}
	fs := map[string]*faultyStore{}
	var servers []Server
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("n%d", i)
		_, c.trans[id] = raft.NewInmemTransport(raft.ServerAddress(id))
		c.ids, fs[id] = append(c.ids, id), newFaultyStore(raft.NewInmemStore())
		servers = append(servers, Server{ID: id, Addr: id})
	}
	c.link()
	for _, id := range c.ids {
		rc := testRaft()
		if tune != nil {
			tune(rc)
		}
		fs[id].snaps = &faultySnaps{SnapshotStore: raft.NewInmemSnapshotStore()}
		fs[id].trans = &garblingTransport{InmemTransport: c.trans[id]}
		n, err := NewNode(Config{ID: id, Transport: fs[id].trans, LogStore: fs[id], StableStore: fs[id],
			SnapshotStore: fs[id].snaps, Raft: rc})
		require.NoError(t, err)
		c.nodes[id] = n
	}
	require.NoError(t, c.nodes["n1"].Bootstrap(servers...))
	t.Cleanup(c.closeAll)
	c.leader()
	return c, fs
}

// storeFailed waits until n has halted on its store's failure and left
// raft, and checks that it refuses calls with ErrStoreFailed, wrapping
// the store's error cause.
func storeFailed(t *testing.T, n *Node, cause error) {
	t.Helper()
	select {
	case <-n.left:
	case <-time.After(waitFor):
		t.Fatalf("%s did not leave raft (health %v)", n.ID(), n.Health())
	}
	require.ErrorIs(t, n.Health(), ErrStoreFailed)
	require.ErrorIs(t, n.Health(), cause)
	require.False(t, n.IsLeader())
	require.ErrorIs(t, n.SetBytes(context.Background(), "x", []byte("y")), ErrStoreFailed)
	_, err := n.GetBytes(context.Background(), "x", Stale(0))
	require.ErrorIs(t, err, ErrStoreFailed)
}

// survivors checks that the nodes but gone still lead and apply: a write
// lands, and each holds every write in want (acknowledged before).
func survivors(t *testing.T, c *cluster, gone string, want map[string]string) {
	t.Helper()
	for k, v := range c.setKeys("after", 5) {
		want[k] = v
	}
	l := c.leader()
	require.NotEqual(t, gone, l.ID())
	for _, id := range c.ids {
		if n := c.nodes[id]; id != gone && n != nil {
			caughtUp(t, n, l.AppliedIndex())
			require.Subset(t, contents(t, n), want)
		}
	}
}

// The leader's disk fills as it appends a write: the write returns
// ErrStoreFailed (with ErrUncertain), wrapping ENOSPC; the leader halts
// and leaves, and the others elect a leader that holds every write
// acknowledged, and takes the write again.
func TestStoreFaultLeaderAppend(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	fs[l.ID()].arm("StoreLogs", syscall.ENOSPC)
	err := l.SetBytes(context.Background(), "k", []byte("v"))
	require.ErrorIs(t, err, ErrStoreFailed)
	require.ErrorIs(t, err, ErrUncertain)
	require.ErrorIs(t, err, syscall.ENOSPC)
	storeFailed(t, l, syscall.ENOSPC)
	survivors(t, c, l.ID(), want)
	require.Zero(t, fs[l.ID()].writesAfterFault())
}

// A follower fails to append: the cluster serves on with the other two,
// and the follower halts and leaves.
func TestStoreFaultFollowerAppend(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	f := c.followers(c.leader())[0]
	fs[f.ID()].arm("StoreLogs", syscall.EIO)
	for k, v := range c.setKeys("k", 10) {
		want[k] = v
	}
	storeFailed(t, f, syscall.EIO)
	survivors(t, c, f.ID(), want)
	require.Zero(t, fs[f.ID()].writesAfterFault())
}

// A follower cannot read an entry it is to apply: raft v1.7.2 panics
// (processLogs), which ends the process. The guard hands raft a stand-in
// the halted machine applies as nothing: the node halts and leaves, the
// others serve on, and its store is as it was.
func TestStoreFaultFollowerReadToApply(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	f := c.followers(c.leader())[0]
	applied := f.AppliedIndex()
	fs[f.ID()].arm("GetLog", errors.New("injected: entry does not decode"))
	for k, v := range c.setKeys("k", 10) {
		want[k] = v
	}
	storeFailed(t, f, ErrStoreFailed)
	require.Less(t, f.AppliedIndex(), c.leader().AppliedIndex())
	require.GreaterOrEqual(t, f.AppliedIndex(), applied)
	survivors(t, c, f.ID(), want)
}

// A follower cannot write the current term as an election begins: raft
// v1.7.2 panics (setCurrentTerm). The guard returns nil instead (raft
// keeps the term in memory only): the node halts and leaves, with no
// other write to its store; and Close, and the cluster, carry on.
func TestStoreFaultTermWrite(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	f := c.followers(l)[0]
	fs[f.ID()].arm("SetUint64 CurrentTerm", syscall.EIO)
	c.partition(l.ID()) // an election, with a new term
	storeFailed(t, f, syscall.EIO)
	c.heal(l.ID()) // two nodes of three: a majority again
	survivors(t, c, f.ID(), want)
	require.Zero(t, fs[f.ID()].writesAfterFault())
}

// A vote is two writes (its term, then its candidate). The second fails:
// raft v1.7.2 would go on with the term written and the candidate of an
// older term, and grant that candidate a vote without comparing logs.
// The guard halts the node at the failure and refuses every write after.
func TestStoreFaultVoteWrite(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	f := c.followers(l)[0]
	fs[f.ID()].arm("Set LastVoteCand", syscall.EIO)
	c.partition(l.ID())
	storeFailed(t, f, syscall.EIO)
	c.heal(l.ID())
	survivors(t, c, f.ID(), want)
	require.Zero(t, fs[f.ID()].writesAfterFault())
}

// A store call panics, as bbolt does on a damaged page, in raft's
// goroutine: the guard turns it into the node's failure instead of the
// process's end.
func TestStoreFaultPanicInStore(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	f := c.followers(c.leader())[0]
	fs[f.ID()].arm("StoreLogs", errPanic)
	for k, v := range c.setKeys("k", 10) {
		want[k] = v
	}
	storeFailed(t, f, ErrStoreFailed)
	require.ErrorContains(t, f.Health(), "invalid page type")
	survivors(t, c, f.ID(), want)
}

// A store panics with an error: the node's failure wraps it, so that
// errors.Is reaches it, and the panic's stack is logged (it may be a
// bug in the store, which ErrStoreFailed alone would hide).
func TestStoreFaultPanicKeepsCause(t *testing.T) {
	logged := &raftLog{}
	c, fs := faultCluster(t, func(rc *raft.Config) {
		rc.Logger = hclog.New(&hclog.LoggerOptions{Output: logged, Level: hclog.Error})
	})
	f := c.followers(c.leader())[0]
	fs[f.ID()].arm("StoreLogs", panicking{syscall.EIO})
	c.setKeys("k", 5)
	storeFailed(t, f, syscall.EIO)
	out, _ := logged.since(0)
	require.Contains(t, out, "a raft store panicked")
	require.Contains(t, out, "(*faultyStore).check", "the panic's stack")
}

// The leader cannot write the term of the election it hands leadership
// over to (raft v1.7.2 panics): the guard returns nil, so raft runs on
// and writes in flight are answered (an error of a halted node, or
// ErrNotLeader) and none hangs; the node leaves, and the others lead
// with every write acknowledged.
func TestStoreFaultLeaderTermWrite(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	fs[l.ID()].arm("SetUint64 CurrentTerm", syscall.EIO)
	var mu sync.Mutex
	wait := writers(t, l, 4, func(k string) { mu.Lock(); want[k] = k; mu.Unlock() },
		ErrStoreFailed, ErrUncertain, ErrNotLeader)
	require.NoError(t, l.Raft().LeadershipTransfer().Error())
	wait()
	storeFailed(t, l, syscall.EIO)
	survivors(t, c, l.ID(), want)
	require.Zero(t, fs[l.ID()].writesAfterFault())
}

// writers starts k goroutines that write to n, each its own keys, until
// a write fails, with an error that is one of allowed; acked is called
// (from the writers' goroutines) with each key acknowledged. The
// function returned waits for every writer to stop.
func writers(t *testing.T, n *Node, k int, acked func(key string), allowed ...error) (wait func()) {
	var wg sync.WaitGroup
	for g := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("g%d-%d", g, i)
				err := n.SetBytes(context.Background(), key, []byte(key))
				if err == nil {
					acked(key)
					continue
				}
				for _, a := range allowed {
					if errors.Is(err, a) {
						return
					}
				}
				t.Errorf("write %s: %v", key, err)
				return
			}
		}()
	}
	return wg.Wait
}

// The faults raft handles itself stop the node too, since the store is
// in doubt: the leader cannot read the entries it sends (it would lead
// on, its write in flight never committed: it steps down, and the write
// is answered), or delete the entries a snapshot compacts. Each time the
// node halts and leaves, a write in flight is answered, and the others
// serve on. (TestStoreFaultVoteRead has the vote's read.)
func TestStoreFaultKinds(t *testing.T) {
	for _, k := range []struct {
		op    string
		cause func(l *Node) error // what makes raft call op; its result
	}{
		{"GetLog", func(l *Node) error { return l.SetBytes(context.Background(), "k", []byte("v")) }},
		{"DeleteRange", func(l *Node) error { return l.Raft().Snapshot().Error() }},
	} {
		t.Run(k.op, func(t *testing.T) {
			c, fs := faultCluster(t, func(rc *raft.Config) { rc.TrailingLogs = 4 })
			want := c.setKeys("before", 10)
			l := c.leader()
			fs[l.ID()].arm(k.op, syscall.EIO)
			if err := k.cause(l); err != nil {
				require.True(t, errors.Is(err, ErrUncertain) || errors.Is(err, ErrStoreFailed) ||
					k.op == "DeleteRange", "%v", err)
			}
			storeFailed(t, l, syscall.EIO)
			survivors(t, c, l.ID(), want)
			require.Zero(t, fs[l.ID()].writesAfterFault())
		})
	}
}

// A follower cannot read its vote as the leader hands leadership over
// to the other (raft's transfer makes a voter look past the leader it
// knows): it halts and leaves, granting none; the other leads with the
// old leader's vote.
func TestStoreFaultVoteRead(t *testing.T) {
	c, fs := faultCluster(t, nil)
	want := c.setKeys("before", 10)
	l := c.leader()
	f, g := c.followers(l)[0], c.followers(l)[1]
	fs[f.ID()].arm("GetUint64 LastVoteTerm", syscall.EIO)
	require.NoError(t, l.Raft().LeadershipTransferToServer(raft.ServerID(g.ID()), raft.ServerAddress(g.Addr())).Error())
	storeFailed(t, f, syscall.EIO)
	survivors(t, c, f.ID(), want)
	require.Zero(t, fs[f.ID()].writesAfterFault())
}

// A leader that can no longer read the entries it sends leads on, its
// write in flight never committed; Close comes before retire has seen
// the failure (retire then returns at once). Close still makes it step
// down, so the write is answered and Close returns (before, it waited
// for the write for ever).
func TestStoreFaultCloseUnreadableLeader(t *testing.T) {
	for range 3 {
		c, fs := faultCluster(t, nil)
		l := c.leader()
		fs[l.ID()].arm("GetLog", syscall.EIO)
		wait := writers(t, l, 2, func(string) {}, ErrStoreFailed, ErrUncertain, ErrNotLeader, ErrClosed)
		<-fs[l.ID()].hit
		closed := make(chan error, 1)
		go func() { closed <- l.Close() }()
		select {
		case <-closed:
		case <-time.After(waitFor):
			t.Fatal("Close waits for ever")
		}
		wait()
		c.nodes[l.ID()] = nil
		c.closeAll()
	}
}
