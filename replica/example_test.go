package replica_test

import (
	"context"
	"fmt"
	"log"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// Start a one-node cluster on raft's in-memory transport, write through
// it and read back. A real node gives raft.NewTCPTransport and raft's
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
