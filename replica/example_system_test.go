package replica_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// seats is the State of a replicated System: the user's own type, held
// by every node. Snapshots encode it as CBOR, so its fields are exported.
type seats struct {
	Taken map[string]string // seat -> passenger
}

// book is its Command: it books a seat, or fails if the seat is taken.
// Every node applies it in log order, so Apply is deterministic: it reads
// nothing but the state and the command.
type book struct {
	Seat, Passenger string
}

var errTaken = errors.New("seat taken")

func (b book) Apply(s *seats) error {
	if s.Taken[b.Seat] != "" {
		return errTaken // in the log, but changes no node's State
	}
	s.Taken[b.Seat] = b.Passenger
	return nil
}

// Replicate a System of the user's own State and Commands: Commit
// proposes a command through raft, Query reads the State (linearizable
// unless replica.Stale is given). A command that fails returns its error
// and changes nothing, on every node.
func ExampleNewSystemNode() {
	ctx := context.Background()
	_, transport := raft.NewInmemTransport("node1")
	rc := raft.DefaultConfig()
	rc.Logger = hclog.NewNullLogger()
	initial := func() seats { return seats{Taken: map[string]string{}} }
	n, err := replica.NewSystemNode[seats, book](replica.Config{ID: "node1", Transport: transport, Raft: rc}, initial)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	if err := n.Bootstrap(replica.Server{ID: "node1", Addr: "node1"}); err != nil {
		log.Fatal(err)
	}
	if _, err := n.WaitLeader(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Commit(ctx, book{Seat: "12A", Passenger: "ada"}))
	fmt.Println(n.Commit(ctx, book{Seat: "12A", Passenger: "bob"}))
	var who string
	if err := n.Query(ctx, func(s *seats) { who = s.Taken["12A"] }); err != nil {
		log.Fatal(err)
	}
	fmt.Println("12A:", who)
	// Output:
	// <nil>
	// seat taken
	// 12A: ada
}
