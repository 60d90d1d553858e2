package replica_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// A node with Config.Dir keeps raft's stores on disk: closed and started
// again on the same directory, it has its writes.
func ExampleConfig_dir() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "node1")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	run := func(bootstrap bool) *replica.Node {
		_, transport := raft.NewInmemTransport("node1")
		n, err := replica.NewNode(replica.Config{ID: "node1", Transport: transport, Dir: dir, Raft: quiet()})
		if err != nil {
			log.Fatal(err)
		}
		if bootstrap {
			if err := n.Bootstrap(replica.Server{ID: "node1", Addr: "node1"}); err != nil {
				log.Fatal(err)
			}
		}
		if _, err := n.WaitLeader(ctx); err != nil {
			log.Fatal(err)
		}
		return n
	}
	n := run(true)
	if err := replica.Set(ctx, n, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	if err := n.Close(); err != nil {
		log.Fatal(err)
	}
	n = run(false) // a restart: the cluster is in the directory
	defer n.Close()
	g, err := replica.Get[string](ctx, n, "greeting")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g)
	// Output: hello
}

// OpenStores opens raft's stores in a directory, for a caller that wants
// them in hand (Config.Dir does this for a Node).
func ExampleOpenStores() {
	dir, err := os.MkdirTemp("", "stores")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := replica.OpenStores(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	last, err := s.Log.LastIndex()
	if err != nil {
		log.Fatal(err)
	}
	snaps, err := s.Snapshots.List()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(last, len(snaps))
	// Output: 0 0
}
