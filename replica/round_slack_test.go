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
