package replica_test

import (
	"errors"
	"fmt"

	"github.com/hurrahdb/hurrah/replica"
)

// Health tells a monitor whether a node serves: nil; ErrClosed after
// Close; or, once the node has met a damaged log entry, an error wrapping
// ErrCorruptEntry (then wipe its directory and start it again: it
// catches up from the leader).
func ExampleNode_Health() {
	n := start("h1", inmem("h1"))
	fmt.Println(n.Health())
	n.Close()
	fmt.Println(errors.Is(n.Health(), replica.ErrClosed), errors.Is(n.Health(), replica.ErrCorruptEntry))
	// Output:
	// <nil>
	// true false
}

// Left tells whether a node has left the cluster's raft, as a node does
// once it has met a damaged log entry; a healthy node has not, and
// neither has one closed (Close is not a halt).
func ExampleNode_Left() {
	n := start("l1", inmem("l1"))
	fmt.Println(n.Left())
	n.Close()
	fmt.Println(n.Left())
	// Output:
	// false
	// false
}
