package replica

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A bounded stale read on a leader cut off from the others is refused
// with ErrTooStale once its last round that committed is older than the
// bound, before its lease runs out and it steps down; in contact, the
// leader answers it, running a round first when it has had none lately.
func TestStaleReadBoundOnTheLeader(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, calm) // a lease of 500 ms: far above the bound
	l := c.leader()
	require.NoError(t, l.SetBytes(ctx, "a", []byte("1")))
	olderThan := func(d time.Duration) {
		require.Eventually(t, func() bool { return time.Since(time.Unix(0, l.confirmed.Load())) > d },
			waitFor, time.Millisecond)
	}
	olderThan(time.Second)
	before := l.confirmed.Load()
	b, err := l.GetBytes(ctx, "a", Stale(time.Minute))
	require.NoError(t, err)
	require.Equal(t, "1", string(b))
	require.Equal(t, before, l.confirmed.Load(), "within the bound: no round")
	b, err = l.GetBytes(ctx, "a", Stale(time.Second))
	require.NoError(t, err, "a round, well within a second")
	require.Equal(t, "1", string(b))
	require.Greater(t, l.confirmed.Load(), before, "past the bound: a round first")

	const bound = 50 * time.Millisecond
	c.partition(l.ID())
	olderThan(bound)
	require.True(t, l.IsLeader(), "still leads: its lease has not run out")
	_, err = l.GetBytes(ctx, "a", Stale(bound))
	require.ErrorIs(t, err, ErrTooStale)
	b, err = l.GetBytes(ctx, "a", Stale(0))
	require.NoError(t, err, "no bound: the store as it is")
	require.Equal(t, "1", string(b))
}

// calm gives raft the default timeouts.
func calm(rc *raft.Config) {
	d := raft.DefaultConfig()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = d.HeartbeatTimeout, d.ElectionTimeout, d.LeaderLeaseTimeout
}
