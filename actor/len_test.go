package actor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
)

// TestLen holds the handler busy, queues messages and checks that Len
// counts exactly those waiting in the mailbox, and Cap its capacity.
func TestLen(t *testing.T) {
	r := newRecorder[int](true)
	a := actor.Start[int](r, actor.Options{Mailbox: 4})
	ctx := context.Background()
	require.Equal(t, 4, a.Cap())
	require.Zero(t, a.Len())

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t) // 0 is being handled: it no longer waits
	require.Zero(t, a.Len())
	for i := 1; i <= 3; i++ {
		require.NoError(t, a.Send(ctx, i))
		require.Equal(t, i, a.Len())
	}
	close(r.release)
	require.NoError(t, a.Close())
	require.Zero(t, a.Len())
	require.Equal(t, []int{0, 1, 2, 3}, r.messages())
}
