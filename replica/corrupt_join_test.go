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
// nothing would cover the entry.) It refuses Remove alike. The cluster is
// unchanged: its log holds no new entry.
func TestHaltedLeaderRefusesJoin(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	c.setKeys("a", 5)
	const victim = "value-as-written"
	require.NoError(t, c.leader().SetBytes(ctx, "victim", []byte(victim)))
	c.setKeys("b", 5)
	c.stop("n1")
	damageInmemEntry(t, c.stores["n1"], []byte(victim))
	led := make(chan bool, 4)
	c.tune = func(rc *raft.Config) { rc.NotifyCh = led }
	l := c.start("n1")
	require.True(t, <-led)
	require.Eventually(t, func() bool { return l.Health() != nil }, waitFor, 5*time.Millisecond)
	require.ErrorIs(t, l.Health(), ErrCorruptEntry)
	last, err := c.stores["n1"].logs.LastIndex()
	require.NoError(t, err)

	c.ids = append(c.ids, "n2")
	c.start("n2")
	require.ErrorIs(t, l.Join(ctx, "n2", "n2"), ErrCorruptEntry)
	require.ErrorIs(t, l.Remove(ctx, "n1"), ErrCorruptEntry)
	now, err := c.stores["n1"].logs.LastIndex()
	require.NoError(t, err)
	require.Equal(t, last, now)
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
