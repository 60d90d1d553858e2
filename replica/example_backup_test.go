package replica_test

import (
	"bytes"
	"context"
	"fmt"
	"log"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/replica"
)

// Back up a cluster's state from its leader: linearizable, so the backup
// holds every write acknowledged before the call. It is in hurrah's
// backup format, which hurrah.OpenBackup (and hurrah.Restore, into a
// directory) load too.
func ExampleNode_Backup() {
	ctx := context.Background()
	n := start("n1", inmem("n1"))
	defer n.Close()
	leaderOf(ctx, n, "n1")
	if err := replica.Set(ctx, n, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	index, err := n.Backup(ctx, &b) // replica.Stale(0) backs up any node's state
	if err != nil {
		log.Fatal(err)
	}
	db, lsn, err := hurrah.OpenBackup(ctx, &b, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	g, err := hurrah.Get[string](ctx, db, "greeting")
	fmt.Println(g, err, lsn == index)
	// Output: hello <nil> true
}

// Restore a cluster from a backup on its leader: the backup is checked
// whole before raft takes it, so a damaged one changes nothing; a whole
// one replaces the state on every node.
func ExampleNode_Restore() {
	ctx := context.Background()
	n := start("n1", inmem("n1"))
	defer n.Close()
	leaderOf(ctx, n, "n1")
	if err := replica.Set(ctx, n, "greeting", "hello"); err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := n.Backup(ctx, &b); err != nil {
		log.Fatal(err)
	}
	if err := replica.Set(ctx, n, "greeting", "changed"); err != nil {
		log.Fatal(err)
	}
	damaged := bytes.Clone(b.Bytes()[:b.Len()-1])
	fmt.Println(n.Restore(ctx, bytes.NewReader(damaged)) != nil)
	if err := n.Restore(ctx, &b); err != nil {
		log.Fatal(err)
	}
	g, err := replica.Get[string](ctx, n, "greeting")
	fmt.Println(g, err)
	// Output:
	// true
	// hello <nil>
}

// Restore a replicated System from a backup of its State; a DB's backup
// is refused (hurrah.ErrBadInput), changing nothing.
func ExampleSystemNode_Restore() {
	ctx := context.Background()
	rc := raft.DefaultConfig()
	rc.Logger = hclog.NewNullLogger()
	initial := func() seats { return seats{Taken: map[string]string{}} }
	n, err := replica.NewSystemNode[seats, book](replica.Config{ID: "s1", Transport: inmem("s1"), Raft: rc}, initial)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if err := n.Bootstrap(replica.Server{ID: "s1", Addr: "s1"}); err != nil {
		log.Fatal(err)
	}
	if _, err := n.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
	if err := n.Commit(ctx, book{Seat: "12A", Passenger: "ada"}); err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := n.Backup(ctx, &b); err != nil {
		log.Fatal(err)
	}
	if err := n.Commit(ctx, book{Seat: "12B", Passenger: "bob"}); err != nil {
		log.Fatal(err)
	}
	if err := n.Restore(ctx, &b); err != nil {
		log.Fatal(err)
	}
	var taken int
	if err := n.Query(ctx, func(s *seats) { taken = len(s.Taken) }); err != nil {
		log.Fatal(err)
	}
	fmt.Println(taken, "seat taken")
	// Output: 1 seat taken
}
