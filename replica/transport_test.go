package replica

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// tcpNode starts node id on a TCP transport at a free loopback port,
// mutual TLS if tc is not nil, with in-memory stores.
func tcpNode(t *testing.T, id string, tc *tls.Config) *Node {
	t.Helper()
	n := startTCPNode(t, id, tc)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// startTCPNode starts node id as tcpNode says, without closing it: for
// a test that closes the node itself.
func startTCPNode(t *testing.T, id string, tc *tls.Config) *Node {
	t.Helper()
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", TLS: tc, Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	n, err := NewNode(Config{ID: id, Transport: tr, Raft: tcpRaft()})
	require.NoError(t, err)
	return n
}

// tcpRaft is testRaft with timeouts of a second: a TLS handshake costs
// more than an in-memory call, and a loaded test machine can delay a
// heartbeat past 250ms, which makes a leader of four voters step down.
func tcpRaft() *raft.Config {
	c := testRaft()
	c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout = time.Second, time.Second, time.Second
	return c
}

// tcpCluster starts a cluster of nodes over TCP: the first bootstraps,
// the others join; it returns the leader.
func tcpCluster(t *testing.T, nodes ...*Node) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	l := nodes[0]
	require.NoError(t, l.Bootstrap(Server{ID: l.ID(), Addr: l.Addr()}))
	_, err := l.WaitLeader(ctx)
	require.NoError(t, err)
	for _, n := range nodes[1:] {
		require.NoError(t, l.Join(ctx, n.ID(), n.Addr()))
	}
	return l
}

// Three nodes over plaintext TCP, and three over mutual TLS, replicate.
func TestTransportReplicates(t *testing.T) {
	ca := newCA(t, "cluster CA")
	for name, tc := range map[string]func(string) *tls.Config{
		"plaintext": func(string) *tls.Config { return nil },
		"mutualTLS": func(id string) *tls.Config { return mutual(ca.validNode(t, id), ca) },
	} {
		t.Run(name, func(t *testing.T) {
			n1, n2, n3 := tcpNode(t, "n1", tc("n1")), tcpNode(t, "n2", tc("n2")), tcpNode(t, "n3", tc("n3"))
			l := tcpCluster(t, n1, n2, n3)
			ctx := context.Background()
			require.NoError(t, l.SetBytes(ctx, "k", []byte("v")))
			for _, n := range []*Node{n2, n3} {
				caughtUp(t, n, l.AppliedIndex())
				require.Equal(t, map[string]string{"k": "v"}, contents(t, n))
			}
		})
	}
}

// A transport config it cannot use is refused with ErrInvalidConfig.
func TestTransportConfigInvalid(t *testing.T) {
	ca := newCA(t, "cluster CA")
	good := mutual(ca.validNode(t, "n1"), ca)
	noCA := good.Clone()
	noCA.ClientCAs = nil
	noCert := good.Clone()
	noCert.Certificates = nil
	for name, c := range map[string]TransportConfig{
		"no bind":        {},
		"negative pool":  {Bind: "127.0.0.1:0", MaxPool: -1},
		"unspecified":    {Bind: "0.0.0.0:0"},
		"bad advertise":  {Bind: "127.0.0.1:0", Advertise: "no port"},
		"no client CAs":  {Bind: "127.0.0.1:0", TLS: noCA},
		"no certificate": {Bind: "127.0.0.1:0", TLS: noCert},
	} {
		_, err := NewTransport(c)
		require.ErrorIs(t, err, ErrInvalidConfig, name)
	}
}

// An Advertise address that names a host keeps the name: it is the
// address the others dial, and over TLS the name a node's certificate
// must hold, so it is not swapped for the IP the name resolves to here.
func TestTransportAdvertiseKeepsHostName(t *testing.T) {
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Advertise: "localhost:12345", Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer tr.Close()
	require.Equal(t, raft.ServerAddress("localhost:12345"), tr.LocalAddr())
}
