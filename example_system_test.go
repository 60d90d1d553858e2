package hurrah_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/hurrahdb/hurrah"
)

// library is the State of a System: the user's own type, kept in memory
// and changed only by its commands. Snapshots encode it as CBOR, so its
// fields are exported.
type library struct {
	Loans map[string]string // book -> reader
}

// loan is the Command of the library: it lends a book, or takes it back
// when Reader is empty. Apply is deterministic: it reads nothing but the
// state and the command, as a replay requires.
type loan struct {
	Book   string
	Reader string
}

var errOnLoan = errors.New("the book is on loan")

func (c loan) Apply(s *library) error {
	if s.Loans == nil {
		s.Loans = map[string]string{}
	}
	switch {
	case c.Reader == "":
		delete(s.Loans, c.Book)
	case s.Loans[c.Book] != "":
		return errOnLoan // refused: nothing changes, nothing is journaled
	default:
		s.Loans[c.Book] = c.Reader
	}
	return nil
}

// A System keeps a State of the user's own type: Commit journals each
// command that applies, Query reads the State in the owner goroutine, and
// OpenSystem rebuilds the State from the newest snapshot and the commands
// after it.
func ExampleOpenSystem() {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	sys, err := hurrah.OpenSystem[library, loan](dir, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sys.Commit(ctx, loan{Book: "Dune", Reader: "ada"}))
	fmt.Println(sys.Commit(ctx, loan{Book: "Dune", Reader: "bob"}))
	fmt.Println(sys.Commit(ctx, loan{Book: "Emma", Reader: "bob"}))
	if err := sys.Close(); err != nil {
		log.Fatal(err)
	}

	sys, err = hurrah.OpenSystem[library, loan](dir, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	reader, err := hurrah.Query(ctx, sys, func(s *library) string { return s.Loans["Dune"] })
	fmt.Println("Dune is with", reader, err)
	fmt.Println("commands replayed:", sys.Recovery().Records)
	// Output:
	// <nil>
	// the book is on loan
	// <nil>
	// Dune is with ada <nil>
	// commands replayed: 2
}

// Query runs a function against the State in the owner goroutine. It must
// only read, and must copy what it returns out of the State.
func ExampleQuery() {
	ctx := context.Background()
	sys, err := hurrah.OpenSystem[library, loan]("", nil, nil) // memory-only
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	for _, c := range []loan{{"Dune", "ada"}, {"Emma", "bob"}, {"Ulysses", "ada"}, {"Dune", ""}} {
		if err := sys.Commit(ctx, c); err != nil {
			log.Fatal(err)
		}
	}
	count, err := hurrah.Query(ctx, sys, func(s *library) int {
		n := 0
		for _, reader := range s.Loans {
			if reader == "ada" {
				n++
			}
		}
		return n
	})
	fmt.Println("ada has", count, "book(s)", err)
	// Output:
	// ada has 1 book(s) <nil>
}

// Commit applies a command and returns once it is acknowledged; a command
// whose Apply fails changes nothing and is not journaled, and its error is
// Commit's.
func ExampleSystem_Commit() {
	ctx := context.Background()
	sys, err := hurrah.OpenSystem[library, loan]("", nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sys.Close()
	_ = sys.Commit(ctx, loan{Book: "Emma", Reader: "ada"})
	err = sys.Commit(ctx, loan{Book: "Emma", Reader: "bob"})
	fmt.Println(errors.Is(err, errOnLoan))
	// Output:
	// true
}
