package replica

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A halted leader refuses Join: a node joining would catch up from its
// log, damaged entry and all, and halt too. (It takes no snapshot, so
// nothing would cover the entry.) The cluster is unchanged.
func TestHaltedLeaderRefusesJoin(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	c.setKeys("a", 5)
	const victim = "value-as-written"
	require.NoError(t, c.leader().SetBytes(ctx, "victim", []byte(victim)))
	c.setKeys("b", 5)
	c.stop("n1")
	damageInmemEntry(t, c.stores["n1"], []byte(victim))
	l := c.start("n1")
	require.Eventually(t, func() bool { return l.IsLeader() && l.Health() != nil }, waitFor, 5*time.Millisecond)
	require.ErrorIs(t, l.Health(), ErrCorruptEntry)

	c.ids = append(c.ids, "n2")
	c.start("n2")
	require.ErrorIs(t, l.Join(ctx, "n2", "n2"), ErrCorruptEntry)
	members, err := l.Members(ctx)
	require.NoError(t, err)
	require.Equal(t, []Server{{"n1", "n1"}}, members)
}

// damageInmemEntry changes the last byte of needle in the entry of st's
// log that holds it, as damageEntry does inside a raft.db.
func damageInmemEntry(t *testing.T, st *stores, needle []byte) {
	t.Helper()
	first, err := st.logs.FirstIndex()
	require.NoError(t, err)
	last, err := st.logs.LastIndex()
	require.NoError(t, err)
	for i := first; i <= last; i++ {
		var l raft.Log
		require.NoError(t, st.logs.GetLog(i, &l))
		if at := bytes.Index(l.Data, needle); at >= 0 {
			l.Data = slices.Clone(l.Data)
			l.Data[at+len(needle)-1] ^= 1
			require.NoError(t, st.logs.StoreLog(&l))
			return
		}
	}
	t.Fatal("no entry holds the needle")
}

// A halted node made leader hands leadership over on its own, with no
// call to find it so: while it leads, every call fails, and a node
// catching up from it would be sent its damaged entry.
func TestHaltedLeaderHandsOverUnasked(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	const victim = "value-as-written"
	require.NoError(t, c.leader().SetBytes(ctx, "victim", []byte(victim)))
	l := c.leader()
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	id := f.ID()
	c.stop(id)
	damageInmemEntry(t, c.stores[id], []byte(victim))
	f = c.start(id)
	h := f.Raft() // raft's own state: Health would hand over
	require.Eventually(t, func() bool { return f.m.halted() != nil }, waitFor, 5*time.Millisecond)
	led := make(chan raft.Observation, 16)
	obs := raft.NewObserver(led, false, func(o *raft.Observation) bool {
		lo, ok := o.Data.(raft.LeaderObservation)
		return ok && string(lo.LeaderID) == id
	})
	h.RegisterObserver(obs)
	defer h.DeregisterObserver(obs)
	require.NoError(t, c.leader().Raft().LeadershipTransferToServer(raft.ServerID(id), raft.ServerAddress(id)).Error())
	select {
	case <-led: // it led
	case <-time.After(waitFor):
		t.Fatal("the halted node never led")
	}
	require.Eventually(t, func() bool { return h.State() != raft.Leader }, waitFor, 5*time.Millisecond,
		"the halted node kept the lead")
	require.ErrorIs(t, f.Health(), ErrCorruptEntry)
}
