package replica

import (
	"context"
	"testing"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// A call whose ctx has ended before it is made proposes nothing: it
// returns ctx's error and joins no round, so the write is not applied
// and a read runs no Barrier.
func TestSubmitEndedCtxProposesNothing(t *testing.T) {
	c := newCluster(t, 1, nil)
	l := c.leader()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	last := l.Raft().LastIndex()
	require.ErrorIs(t, l.SetBytes(ctx, "k", []byte("v")), context.Canceled)
	_, err := l.GetBytes(ctx, "k")
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, last, l.Raft().LastIndex(), "nothing was proposed")
	_, err = l.GetBytes(context.Background(), "k")
	require.ErrorIs(t, err, hurrah.ErrNotFound, "the write was applied")
}
