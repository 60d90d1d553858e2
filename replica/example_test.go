package replica_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// Start a one-node cluster on raft's in-memory transport, write through
// it and read back. A real node gives NewTransport and a Dir for raft's
// stores on disk; others join with Join on the leader.
func ExampleNewNode() {
	ctx := context.Background()
	_, transport := raft.NewInmemTransport("node1")
	rc := raft.DefaultConfig()
	rc.Logger = hclog.NewNullLogger()
	n, err := replica.NewNode(replica.Config{ID: "node1", Transport: transport, Raft: rc})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if err := n.Bootstrap(replica.Server{ID: "node1", Addr: "node1"}); err != nil {
		log.Fatal(err)
	}
	leader, err := n.WaitLeader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := replica.Set(ctx, n, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	g, err := replica.Get[string](ctx, n, "greeting") // linearizable
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(leader, g)
	// Output: node1 hello
}

// A follower refuses a write, naming the leader to retry at.
func ExampleNotLeaderError() {
	err := error(&replica.NotLeaderError{LeaderID: "node2", LeaderAddr: "10.0.0.2:7000"})
	fmt.Println(err)
	// Output: replica: not the leader; the leader is node2 at 10.0.0.2:7000
}

// Grow a cluster with Join on the leader; a follower refuses writes and
// names the leader.
func ExampleNode_Join() {
	ctx := context.Background()
	t1, t2 := inmem("n1"), inmem("n2")
	t1.Connect("n2", t2)
	t2.Connect("n1", t1)
	n1, n2 := start("n1", t1), start("n2", t2)
	defer n1.Close()
	defer n2.Close()
	if err := n1.Bootstrap(replica.Server{ID: "n1", Addr: "n1"}); err != nil {
		log.Fatal(err)
	}
	if _, err := n1.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
	if err := n1.Join(ctx, "n2", "n2"); err != nil {
		log.Fatal(err)
	}
	if _, err := n2.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
	err := n2.SetBytes(ctx, "k", []byte("v"))
	var nl *replica.NotLeaderError
	if errors.As(err, &nl) {
		fmt.Println("refused; retry at", nl.LeaderID)
	}
	members, err := n1.Members(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(members)
	// Output:
	// refused; retry at n1
	// [{n1 n1} {n2 n2}]
}

func inmem(addr string) *raft.InmemTransport {
	_, t := raft.NewInmemTransport(raft.ServerAddress(addr))
	return t
}

// start starts a node with short timeouts and no logging.
func start(id string, t raft.Transport) *replica.Node {
	rc := raft.DefaultConfig()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 200*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	rc.Logger = hclog.NewNullLogger()
	n, err := replica.NewNode(replica.Config{ID: id, Transport: t, Raft: rc})
	if err != nil {
		log.Fatal(err)
	}
	return n
}
