package replica_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// leaderOf bootstraps a one-node cluster on n (its ID and address are
// id) and waits for n to lead it.
func leaderOf(ctx context.Context, n *replica.Node, id string) {
	if err := n.Bootstrap(replica.Server{ID: id, Addr: id}); err != nil {
		log.Fatal(err)
	}
	if _, err := n.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
}

// pair starts n1 leading a cluster that n2 has joined.
func pair(ctx context.Context) (n1, n2 *replica.Node) {
	t1, t2 := inmem("n1"), inmem("n2")
	t1.Connect("n2", t2)
	t2.Connect("n1", t1)
	n1, n2 = start("n1", t1), start("n2", t2)
	leaderOf(ctx, n1, "n1")
	if err := n1.Join(ctx, "n2", "n2"); err != nil {
		log.Fatal(err)
	}
	return n1, n2
}

// A stale read answers from the node it is asked of, follower or not,
// without asking the leader: once a follower has applied a write, it
// reads it. A node that has not heard from a leader within the bound
// (here one that never has: it is in no cluster) refuses with
// ErrTooStale.
func ExampleStale() {
	ctx := context.Background()
	n1, n2 := pair(ctx)
	defer n1.Close()
	defer n2.Close()
	if err := n1.SetBytes(ctx, "k", []byte("v")); err != nil {
		log.Fatal(err)
	}
	for n2.AppliedIndex() < n1.AppliedIndex() { // the follower applies the write a moment later
		time.Sleep(time.Millisecond)
	}
	v, err := n2.GetBytes(ctx, "k", replica.Stale(time.Second))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("n2 reads %s\n", v)

	lone := start("n3", inmem("n3"))
	defer lone.Close()
	_, err = lone.GetBytes(ctx, "k", replica.Stale(time.Second))
	fmt.Println("lone node:", errors.Is(err, replica.ErrTooStale))
	// Output:
	// n2 reads v
	// lone node: true
}

// The leader turns a TTL into a deadline by its own clock, and the
// deadline replicates as data: every node expires the key at the same
// moment (by its clock). A deadline already past expires the key at once.
func ExampleTTL() {
	ctx := context.Background()
	n := start("n1", inmem("n1"))
	defer n.Close()
	leaderOf(ctx, n, "n1")
	if err := replica.Set(ctx, n, "session:ada", "user 1", replica.TTL(time.Hour)); err != nil {
		log.Fatal(err)
	}
	if err := replica.Set(ctx, n, "session:eve", "user 3", replica.Deadline(time.Now().Add(-time.Second))); err != nil {
		log.Fatal(err)
	}
	ada, err := replica.Get[string](ctx, n, "session:ada")
	if err != nil {
		log.Fatal(err)
	}
	_, err = replica.Get[string](ctx, n, "session:eve")
	fmt.Println(ada, errors.Is(err, hurrah.ErrNotFound))
	// Output: user 1 true
}

// Remove, on the leader, takes a node out of the cluster.
func ExampleNode_Remove() {
	ctx := context.Background()
	n1, n2 := pair(ctx)
	defer n1.Close()
	defer n2.Close()
	if err := n1.Remove(ctx, "n2"); err != nil {
		log.Fatal(err)
	}
	members, err := n1.Members(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(members)
	err = n1.Remove(ctx, "n2")
	fmt.Println("again:", errors.Is(err, replica.ErrUnknownMember))
	// Output:
	// [{n1 n1}]
	// again: true
}

// Delete removes a key on every node; a missing key is no error.
func ExampleNode_Delete() {
	ctx := context.Background()
	n := start("n1", inmem("n1"))
	defer n.Close()
	leaderOf(ctx, n, "n1")
	if err := n.SetBytes(ctx, "k", []byte("v")); err != nil {
		log.Fatal(err)
	}
	if err := n.Delete(ctx, "k"); err != nil {
		log.Fatal(err)
	}
	_, err := n.GetBytes(ctx, "k")
	fmt.Println(errors.Is(err, hurrah.ErrNotFound), n.Delete(ctx, "k"))
	// Output: true <nil>
}

// Clear removes every key on every node, in one raft entry.
func ExampleNode_Clear() {
	ctx := context.Background()
	n := start("n1", inmem("n1"))
	defer n.Close()
	leaderOf(ctx, n, "n1")
	for _, k := range []string{"a", "b"} {
		if err := n.SetBytes(ctx, k, []byte("v")); err != nil {
			log.Fatal(err)
		}
	}
	if err := n.Clear(ctx); err != nil {
		log.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		_, err := n.GetBytes(ctx, k)
		fmt.Println(k, errors.Is(err, hurrah.ErrNotFound))
	}
	// Output:
	// a true
	// b true
}
