package replica

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A node whose certificate the cluster trusts, but that does not trust
// the cluster's (its CA is another): with TLS 1.3 the dialing side
// learns of the refusal only on its first read, so Join's probe reads the
// node's answer before it calls the node reachable, cluster name or not.
// Join refuses it with ErrUnreachable, saying that the node refused this
// one's certificate, and the configuration is unchanged.
func TestJoinSeesTLSRefusal(t *testing.T) {
	ca, other := newCA(t, "cluster CA"), newCA(t, "other CA")
	l := tcpCluster(t, tcpNode(t, "n1", mutual(ca.validNode(t, "n1"), ca)))
	distrustful := tcpNode(t, "n2", mutual(ca.validNode(t, "n2"), other))
	ctx := context.Background()
	before, err := l.Members(ctx)
	require.NoError(t, err)
	err = l.Join(ctx, "n2", distrustful.Addr())
	require.ErrorIs(t, err, ErrUnreachable)
	require.ErrorContains(t, err, "refused this node's certificate")
	after, err := l.Members(ctx)
	require.NoError(t, err)
	require.Equal(t, before, after)

	trusting := tcpNode(t, "n3", mutual(ca.validNode(t, "n3"), ca)) // and a good node joins
	require.NoError(t, l.Join(ctx, "n3", trusting.Addr()))
	require.NoError(t, l.SetBytes(ctx, "k", []byte("v")))
	caughtUp(t, trusting, l.AppliedIndex())
}
