package replica

import (
	"context"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// namedNode starts node id on a plaintext TCP transport that names
// cluster, with in-memory stores.
func namedNode(t *testing.T, cluster, id string) *Node {
	t.Helper()
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Cluster: cluster, Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	n, err := NewNode(Config{ID: id, Cluster: cluster, Transport: tr, Raft: tcpRaft()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// Two clusters whose transports carry their names cannot mix: the
// leader of one refuses to add a node of the other with ErrOtherCluster,
// and a message from the other's transport is refused; neither cluster
// changes. A node of the same name joins and replicates.
func TestTransportClusterNames(t *testing.T) {
	ctx := context.Background()
	east := tcpCluster(t, namedNode(t, "east", "e1"))
	west := tcpCluster(t, namedNode(t, "west", "w1"))
	require.NoError(t, west.SetBytes(ctx, "k", []byte("west")))
	term, last := west.Raft().CurrentTerm(), west.Raft().LastIndex()

	require.ErrorIs(t, east.Join(ctx, "w1", west.Addr()), ErrOtherCluster)
	members, err := east.Members(ctx)
	require.NoError(t, err)
	require.Equal(t, []Server{{ID: "e1", Addr: east.Addr()}}, members)

	var vote raft.RequestVoteResponse
	err = east.cfg.Transport.RequestVote("w1", raft.ServerAddress(west.Addr()), &raft.RequestVoteRequest{
		RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("e1"), Addr: []byte(east.Addr())},
		Term:      term + 10, LastLogIndex: last + 100, LastLogTerm: term + 10,
	}, &vote)
	require.ErrorIs(t, err, ErrOtherCluster)
	require.Equal(t, term, west.Raft().CurrentTerm())
	require.Equal(t, map[string]string{"k": "west"}, contents(t, west))

	e2 := namedNode(t, "east", "e2")
	require.NoError(t, east.Join(ctx, "e2", e2.Addr()))
	require.NoError(t, east.SetBytes(ctx, "k", []byte("east")))
	caughtUp(t, e2, east.AppliedIndex())
	require.Equal(t, map[string]string{"k": "east"}, contents(t, e2))
}

// A Config.Cluster other than the transport's name is refused.
func TestTransportClusterMismatch(t *testing.T) {
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Cluster: "east", Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer tr.Close()
	_, err = NewNode(Config{ID: "n1", Cluster: "west", Transport: tr})
	require.ErrorIs(t, err, ErrInvalidConfig)
}
