package replica

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// Commands reach every node; a command whose Apply fails returns its
// error on the leader and changes no node; a follower refuses commands
// and linearizable queries, naming the leader; bad commands propose
// nothing.
func TestSystemReplicates(t *testing.T) {
	ctx := context.Background()
	c := newSysCluster(t, 3, nil)
	l := c.leader()
	require.NoError(t, l.Commit(ctx, tallyCmd{Key: "a", Add: 2, Max: 5}))
	require.NoError(t, l.Commit(ctx, tallyCmd{Key: "a", Add: 3, Max: 5}))
	require.ErrorIs(t, l.Commit(ctx, tallyCmd{Key: "a", Add: 1, Max: 5}), errOverMax)
	require.NoError(t, l.Commit(ctx, tallyCmd{Key: "b", Add: 7}))
	want := map[string]int{"a": 5, "b": 7}
	var got int
	require.NoError(t, l.Query(ctx, func(s *tally) { got = s.N["a"] }))
	require.Equal(t, 5, got)
	for _, id := range c.ids {
		sysCaughtUp(t, c.nodes[id], l.AppliedIndex())
		require.Equal(t, want, state(t, c.nodes[id]), id)
	}

	var f *SystemNode[tally, tallyCmd]
	for _, id := range c.ids {
		if n := c.nodes[id]; n != l {
			f = n
		}
	}
	last := l.Raft().LastIndex()
	var nl *NotLeaderError
	require.ErrorAs(t, f.Commit(ctx, tallyCmd{Key: "a", Add: 1}), &nl)
	require.Equal(t, l.ID(), nl.LeaderID)
	require.ErrorIs(t, f.Query(ctx, func(*tally) {}), ErrNotLeader)
	require.ErrorIs(t, l.Commit(ctx, tallyCmd{Key: "a", Bad: make(chan int)}), hurrah.ErrEncode)
	require.Equal(t, last, l.Raft().LastIndex(), "nothing was proposed")
	require.ErrorIs(t, l.Query(ctx, func(*tally) { panic("boom") }), hurrah.ErrPanic)
}

// Concurrent commands share raft entries, and each gets its own answer:
// the ones that pass the ceiling fail, the others apply, exactly as many
// as fit.
func TestSystemCommandsShareEntriesEachAnswered(t *testing.T) {
	ctx := context.Background()
	c := newSysCluster(t, 3, nil)
	l := c.leader()
	before := l.Raft().LastIndex()
	const calls, max = 200, 120
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, over := 0, 0
	for range calls {
		wg.Go(func() {
			err := l.Commit(ctx, tallyCmd{Key: "k", Add: 1, Max: max})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errOverMax):
				over++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, max, ok)
	require.Equal(t, calls-max, over)
	require.Equal(t, map[string]int{"k": max}, state(t, l))
	require.Less(t, l.Raft().LastIndex()-before, uint64(calls), "every command took an entry of its own")
}

// The leader killed: a new one takes commands; the old one restarted over
// its stores rebuilds the State from raft's snapshot and log and catches
// up on what it missed.
func TestSystemLeaderKilledAndRestarted(t *testing.T) {
	c := newSysCluster(t, 3, nil)
	for range 10 {
		require.NoError(t, c.commit(tallyCmd{Key: "a", Add: 1}))
	}
	old := c.leader()
	require.NoError(t, old.Raft().Snapshot().Error(), "the restart restores this snapshot first")
	require.NoError(t, c.commit(tallyCmd{Key: "a", Add: 1}))
	id := old.ID()
	c.stop(id)
	for range 5 {
		require.NoError(t, c.commit(tallyCmd{Key: "b", Add: 1}))
	}
	l := c.leader()
	require.NotEqual(t, id, l.ID())
	n := c.start(id)
	sysCaughtUp(t, n, c.leader().AppliedIndex())
	want := map[string]int{"a": 11, "b": 5}
	require.Equal(t, want, state(t, n))
	require.Equal(t, want, state(t, c.leader()))
}

// A new node joins after the leader compacted its log: it catches up by a
// snapshot install, in the System's backup format.
func TestSystemNewNodeCatchesUpBySnapshot(t *testing.T) {
	ctx := context.Background()
	c := newSysCluster(t, 3, func(rc *raft.Config) { rc.TrailingLogs = 5 })
	for i := range 100 {
		require.NoError(t, c.commit(tallyCmd{Key: "k", Add: i}))
	}
	l := c.leader()
	require.NoError(t, l.Raft().Snapshot().Error())
	require.NoError(t, c.commit(tallyCmd{Key: "after", Add: 1}))
	first, err := c.stores[l.ID()].logs.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(10), "the log is compacted")

	c.ids = append(c.ids, "s4")
	n4 := c.start("s4")
	require.NoError(t, c.leader().Join(ctx, "s4", "s4"))
	sysCaughtUp(t, n4, c.leader().AppliedIndex())
	require.Equal(t, map[string]int{"k": 4950, "after": 1}, state(t, n4))
	snaps, err := c.stores["s4"].snaps.List()
	require.NoError(t, err)
	require.NotEmpty(t, snaps, "s4 installed a snapshot")
}

// A damaged or truncated System snapshot is refused with ErrCorrupt and
// leaves the State as it was; a DB's snapshot is refused too. A node
// restarted over a damaged one does not start.
func TestSystemRefusesDamagedSnapshot(t *testing.T) {
	ctx := context.Background()
	src, err := newSystemFSM[tally, tallyCmd](ctx, nil)
	require.NoError(t, err)
	defer src.close()
	entry := appendHeader(nil, systemEntryTag, 2)
	for _, cmd := range []tallyCmd{{Key: "a", Add: 1}, {Key: "b", Add: 2}} {
		b, err := encodeCommand[tally](cmd)
		require.NoError(t, err)
		entry = appendCommand(entry, b)
	}
	require.Equal(t, []error{nil, nil}, src.Apply(&raft.Log{Index: 9, Type: raft.LogCommand, Data: sealEntry(entry)}))
	snap, err := src.Snapshot()
	require.NoError(t, err)
	var sink memSink
	require.NoError(t, snap.Persist(&sink))
	snap.Release()
	good := sink.Bytes()

	dst, err := newSystemFSM[tally, tallyCmd](ctx, func() tally { return tally{N: map[string]int{"x": 1}} })
	require.NoError(t, err)
	defer dst.close()
	restore := func(b []byte) error { return dst.Restore(io.NopCloser(bytes.NewReader(b))) }
	for off := range good {
		b := append([]byte(nil), good...)
		b[off] ^= 0x08
		require.ErrorIs(t, restore(b), hurrah.ErrCorrupt, "byte %d flipped", off)
	}
	require.ErrorIs(t, restore(good[:len(good)-1]), hurrah.ErrCorrupt)
	kv, err := newFSM(ctx)
	require.NoError(t, err)
	defer kv.close()
	ksnap, err := kv.Snapshot()
	require.NoError(t, err)
	var ksink memSink
	require.NoError(t, ksnap.Persist(&ksink))
	ksnap.Release()
	require.ErrorIs(t, restore(ksink.Bytes()), hurrah.ErrBadInput)
	require.Zero(t, dst.appliedIndex())
	got, err := hurrah.Query(ctx, dst.sys.Load(), func(s *tally) int { return s.N["x"] })
	require.NoError(t, err)
	require.Equal(t, 1, got, "the State is as it was")
	require.NoError(t, restore(good))
	require.Equal(t, uint64(9), dst.appliedIndex())
	got, err = hurrah.Query(ctx, dst.sys.Load(), func(s *tally) int { return s.N["a"] + s.N["b"] + s.N["x"] })
	require.NoError(t, err)
	require.Equal(t, 3, got, "the snapshot's State, and only it")
}

// A node restarted over a damaged snapshot refuses to start; over the
// intact one it starts and has it all.
func TestSystemRestartRefusesDamagedSnapshot(t *testing.T) {
	c := newSysCluster(t, 3, nil)
	for range 20 {
		require.NoError(t, c.commit(tallyCmd{Key: "a", Add: 1}))
	}
	l := c.leader()
	id := l.ID()
	require.NoError(t, l.Raft().Snapshot().Error())
	c.stop(id)
	st := c.stores[id]
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	_, err := NewSystemNode[tally, tallyCmd](Config{
		ID: id, Transport: tr, LogStore: st.logs, StableStore: st.stable,
		SnapshotStore: flipStore{st.snaps, 100}, Raft: testRaft(),
	}, nil)
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	tr.Close()
	n := c.start(id)
	sysCaughtUp(t, n, c.leader().AppliedIndex())
	require.Equal(t, map[string]int{"a": 20}, state(t, n))
}

// chanState is a State CBOR cannot encode.
type chanState struct{ C chan int }

type chanCmd struct{}

func (chanCmd) Apply(*chanState) error { return nil }

// A State no snapshot could hold is refused when the node starts, and
// nothing is left running.
func TestNewSystemNodeRefusesUnencodableState(t *testing.T) {
	_, tr := raft.NewInmemTransport("x")
	defer tr.Close()
	_, err := NewSystemNode[chanState, chanCmd](Config{ID: "x", Transport: tr, Raft: testRaft()},
		func() chanState { return chanState{C: make(chan int)} })
	require.ErrorIs(t, err, hurrah.ErrEncode)
}
