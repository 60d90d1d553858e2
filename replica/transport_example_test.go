package replica_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// A node on a real TCP transport, over mutual TLS: every node has a
// certificate signed by the cluster CA, and the CA's certificate.
func ExampleMutualTLS() {
	tc, err := replica.MutualTLS("testdata/tls/node.crt", "testdata/tls/node.key", "testdata/tls/ca.crt")
	if err != nil {
		log.Fatal(err)
	}
	transport, err := replica.NewTransport(replica.TransportConfig{
		Bind: "127.0.0.1:0", TLS: tc, Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		log.Fatal(err)
	}
	n, err := replica.NewNode(replica.Config{ID: "node1", Transport: transport, Raft: quiet()})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if err := n.Bootstrap(replica.Server{ID: "node1", Addr: n.Addr()}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if _, err := n.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
	if err := replica.Set(ctx, n, "greeting", "hello over TLS"); err != nil {
		log.Fatal(err)
	}
	g, err := replica.Get[string](ctx, n, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g)
	// Output: hello over TLS
}

// NewTransport with no TLS config is plaintext TCP, for a trusted
// network or a local try. Advertise is the address others dial.
func ExampleNewTransport() {
	transport, err := replica.NewTransport(replica.TransportConfig{
		Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer transport.Close()
	fmt.Println(transport.LocalAddr() != "")
	_, err = replica.NewTransport(replica.TransportConfig{Bind: "0.0.0.0:0"})
	fmt.Println(err != nil) // 0.0.0.0 cannot be dialed: give Advertise
	// Output:
	// true
	// true
}

// quiet returns raft's config with short timeouts and no logging.
func quiet() *raft.Config {
	rc := raft.DefaultConfig()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	rc.Logger = hclog.NewNullLogger()
	return rc
}
