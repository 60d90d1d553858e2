package replica

import (
	"context"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A round's entry is made with room guessed from the rounds before, and
// raft's in-memory log store (the default without Config.Dir) keeps the
// very slice proposed: the small entries that follow a big one must not
// each hold on to room the size of the big one.
func TestSmallEntryAfterBigKeepsNoSlack(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "big", make([]byte, 1<<20)))
	for range 10 {
		require.NoError(t, l.SetBytes(ctx, "small", []byte("x")))
	}
	logs := c.stores[l.ID()].logs
	last, err := logs.LastIndex()
	require.NoError(t, err)
	var entry raft.Log
	for i := last - 9; i <= last; i++ {
		require.NoError(t, logs.GetLog(i, &entry))
		require.LessOrEqual(t, cap(entry.Data), 2*len(entry.Data)+64, "entry %d", i)
	}
}

// The room a round's entry is first given follows the rounds before, but
// never passes what a round of MaxBatchBytes needs (a larger call brings
// its own), and a round opened by a read, which may carry no writes, is
// given none until a write joins it: after a big write, the rounds that
// follow do not each allocate its size.
func TestRoundRoomIsBounded(t *testing.T) {
	n := &node{cfg: Config{MaxBatchBytes: 1000}}
	n.rounds.kick = make(chan struct{}, 1)
	n.join(make([]byte, 1<<20), 1)
	n.rounds.take()
	read, _ := n.join(nil, 0)
	require.LessOrEqual(t, cap(read.entry), headerRoom, "a read's round")
	n.join(make([]byte, 10), 1)
	require.Same(t, read, n.rounds.take())
	require.Equal(t, headerRoom+10, len(read.entry))
	require.LessOrEqual(t, cap(read.entry), headerRoom+1000+crcSize, "a write's round")
}
