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

// A node without a certificate the cluster trusts (one from another CA,
// an expired one, or none: plaintext) cannot send a TLS cluster entries
// or votes, and the leader refuses to add it (ErrUnreachable); the
// cluster's term, members and state are unchanged by it. A node with a good
// certificate replicates (TestTransportReplicates).
func TestTLSRefusesBadPeers(t *testing.T) {
	ca, other := newCA(t, "cluster CA"), newCA(t, "other CA")
	good := func(id string) *tls.Config { return mutual(ca.validNode(t, id), ca) }
	n1, n2, n3 := tcpNode(t, "n1", good("n1")), tcpNode(t, "n2", good("n2")), tcpNode(t, "n3", good("n3"))
	l := tcpCluster(t, n1, n2, n3)
	ctx := context.Background()
	require.NoError(t, l.SetBytes(ctx, "k", []byte("v")))
	// Every follower has heard from the leader, so its term is the
	// cluster's: a change below can only come from the bad peer.
	caughtUp(t, n2, l.AppliedIndex())
	caughtUp(t, n3, l.AppliedIndex())

	expired := ca.node(t, "bad", time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	for name, tc := range map[string]*tls.Config{
		"other CA": showing(other.validNode(t, "bad"), ca), // trusts the cluster, is not trusted
		"expired":  showing(expired, ca),
		"none":     nil, // plaintext
	} {
		t.Run(name, func(t *testing.T) {
			f := n2
			if f == l {
				f = n3
			}
			term, last := f.Raft().CurrentTerm(), f.Raft().LastIndex()
			bad, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", TLS: tc, Logger: hclog.NewNullLogger()})
			require.NoError(t, err)
			defer bad.Close()
			var ae raft.AppendEntriesResponse
			err = bad.AppendEntries(raft.ServerID(f.ID()), raft.ServerAddress(f.Addr()), &raft.AppendEntriesRequest{
				RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("bad"), Addr: []byte(bad.LocalAddr())},
				Term:      term + 10, PrevLogEntry: last, PrevLogTerm: term, LeaderCommitIndex: last + 1,
				Entries: []*raft.Log{{Index: last + 1, Term: term + 10, Type: raft.LogCommand, Data: []byte("x")}},
			}, &ae)
			require.Error(t, err, "entries sent")
			var rv raft.RequestVoteResponse
			err = bad.RequestVote(raft.ServerID(f.ID()), raft.ServerAddress(f.Addr()), &raft.RequestVoteRequest{
				RPCHeader: raft.RPCHeader{ProtocolVersion: raft.ProtocolVersionMax, ID: []byte("bad"), Addr: []byte(bad.LocalAddr())},
				Term:      term + 10, LastLogIndex: last + 100, LastLogTerm: term + 10,
			}, &rv)
			require.Error(t, err, "vote requested")
			require.Equal(t, term, f.Raft().CurrentTerm())
			require.False(t, ae.Success || rv.Granted)

			// The leader will not add it: it cannot connect to it as
			// raft would.
			bn, err := NewNode(Config{ID: "bad", Transport: bad, Raft: tcpRaft()})
			require.NoError(t, err)
			defer bn.Close()
			members, err := l.Members(ctx)
			require.NoError(t, err)
			require.ErrorIs(t, l.Join(ctx, "bad", bn.Addr()), ErrUnreachable)
			after, err := l.Members(ctx)
			require.NoError(t, err)
			require.Equal(t, members, after)
			require.True(t, l.IsLeader(), "leadership unchanged")
			require.Zero(t, bn.Raft().LastIndex())
		})
	}
}

// A TLS client without a certificate completes no exchange with a node:
// the node ends the handshake.
func TestTLSNoClientCertificate(t *testing.T) {
	ca := newCA(t, "cluster CA")
	n := tcpNode(t, "n1", mutual(ca.validNode(t, "n1"), ca))
	conn, err := tls.Dial("tcp", n.Addr(), &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS13})
	if err == nil { // TLS 1.3: the client learns of the refusal on its first read
		defer conn.Close()
		_, err = conn.Write([]byte{0})
		if err == nil {
			_, err = conn.Read(make([]byte, 1))
		}
	}
	require.ErrorContains(t, err, "certificate required")
}

// showing returns a mutual TLS config trusting ca that shows cert to a
// server whatever CAs the server names: Go's client holds back a
// Certificates entry the server's CA list does not name, so a test of a
// refused certificate must hand it over through GetClientCertificate,
// or it only tests a client that shows none.
func showing(cert tls.Certificate, ca *testCA) *tls.Config {
	tc := mutual(cert, ca)
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return tc
}

// MutualTLS loads PEM files; a missing or bad file, or an expired
// certificate, is ErrInvalidConfig.
func TestMutualTLSFiles(t *testing.T) {
	ca := newCA(t, "cluster CA")
	certFile, keyFile, caFile := writePEM(t, t.TempDir(), ca.validNode(t, "n1"), ca)
	tc, err := MutualTLS(certFile, keyFile, caFile)
	require.NoError(t, err)
	require.Equal(t, tls.RequireAndVerifyClientCert, tc.ClientAuth)
	require.Equal(t, uint16(tls.VersionTLS13), tc.MinVersion)

	_, err = MutualTLS(certFile, keyFile, keyFile) // a key is not a CA certificate
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = MutualTLS(certFile, caFile, caFile)
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = MutualTLS(certFile, keyFile, caFile+".missing")
	require.ErrorIs(t, err, ErrInvalidConfig)
	old := ca.node(t, "n1", time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	certFile, keyFile, caFile = writePEM(t, t.TempDir(), old, ca)
	_, err = MutualTLS(certFile, keyFile, caFile)
	require.ErrorIs(t, err, ErrInvalidConfig)
}

// A TLS config that skips the check of the server's certificate
// (InsecureSkipVerify) still checks it against the cluster CA: the
// transport enforces the check both ways, so a node does not take an
// impostor with a certificate from another CA for a peer.
func TestTLSInsecureSkipVerifyEnforced(t *testing.T) {
	ca, other := newCA(t, "cluster CA"), newCA(t, "other CA")
	// The impostor trusts the cluster's CA for clients: only the
	// dialing side's check can refuse it.
	imp, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger(), TLS: &tls.Config{
		Certificates: []tls.Certificate{other.validNode(t, "impostor")}, RootCAs: ca.pool(), ClientCAs: ca.pool(),
	}})
	require.NoError(t, err)
	defer imp.Close()
	tc := mutual(ca.validNode(t, "n1"), ca)
	tc.InsecureSkipVerify = true
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", TLS: tc, Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer tr.Close()
	require.ErrorIs(t, probe(context.Background(), tr, string(imp.LocalAddr())), ErrUnreachable)
}

// A config whose GetConfigForClient returns another config (as one that
// rotates certificates does) still requires a client certificate: the
// transport enforces its rules on the config returned too.
func TestTLSGetConfigForClientEnforced(t *testing.T) {
	ca := newCA(t, "cluster CA")
	tc := mutual(ca.validNode(t, "n1"), ca)
	inner := &tls.Config{Certificates: tc.Certificates, ClientCAs: ca.pool()} // asks for no client certificate
	tc.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) { return inner, nil }
	n := tcpNode(t, "n1", tc)
	conn, err := tls.Dial("tcp", n.Addr(), &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS13})
	if err == nil { // TLS 1.3: the client learns of the refusal on its first read
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second)) // a node that took it waits for the rest of a message
		_, err = conn.Write([]byte{0})
		if err == nil {
			_, err = conn.Read(make([]byte, 1))
		}
	}
	require.ErrorContains(t, err, "certificate required")
}
