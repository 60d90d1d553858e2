package replica

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A TTL becomes a deadline once, on the leader, by its clock; the
// deadline replicates as data, so every node holds the very same one
// (not each its own clock plus the TTL).
func TestTTLDeadlineIsOneOnEveryNode(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 3, nil)
	l := c.leader()
	before := time.Now()
	require.NoError(t, l.SetBytes(ctx, "k", []byte("v"), TTL(time.Hour)))
	after := time.Now()
	at, err := l.db().ExpiresAt(ctx, "k")
	require.NoError(t, err)
	require.False(t, at.Before(before.Add(time.Hour)) || at.After(after.Add(time.Hour)),
		"deadline %v is not an hour after the call (%v to %v)", at, before, after)
	for _, f := range c.followers(l) {
		caughtUp(t, f, l.AppliedIndex())
		got, err := f.db().ExpiresAt(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, at.UnixNano(), got.UnixNano(), "node %s", f.ID())
	}
}
