// Command cluster is an example server for a replicated hurrah store: one
// node of a raft cluster (package replica) with a small HTTP API. Run one
// process per node, or all of a local cluster at once:
//
//	cd replica && go run ./examples/cluster -local 3
//
// starts three processes of itself on loopback ports, bootstraps the
// first, joins the others to it, prints curl lines to try, and stops them
// all on Ctrl-C. With -bench 10s it measures them instead (writes/s,
// linearizable and stale reads/s from 64 HTTP clients, 10 s each), prints
// the figures and stops them all.
//
// # One node
//
//	cluster -id n1 -raft 127.0.0.1:12001 -http 127.0.0.1:11001 -dir /tmp/hurrah-demo/n1 -bootstrap
//	cluster -id n2 -raft 127.0.0.1:12002 -http 127.0.0.1:11002 -dir /tmp/hurrah-demo/n2 -join 127.0.0.1:11001
//
// -bootstrap makes a new cluster of this node alone (it does nothing on a
// node whose -dir already holds one); -join asks the node at that HTTP
// address to add this one (again on every start: joining a member again
// changes nothing). A node restarted over its -dir rejoins the cluster
// with what its raft stores hold. The others learn a node's HTTP address
// when it joins (or bootstraps): restart it at the same -http, or with
// -join, which records a new one.
//
// # The HTTP API
//
//	GET    /key/{k}           the value, as stored (404 if none); ?stale=1 reads this node's copy
//	PUT    /key/{k}           body = the value; ?ttl=30s makes it expire
//	DELETE /key/{k}
//	POST   /join   {"id", "addr", "http"}   add a node (addr: its raft address)
//	POST   /remove {"id"}                   remove a node
//	GET    /status                          id, leader, members, applied index, health
//	GET    /backup                          the state, in hurrah's backup format; ?stale=1 this node's copy;
//	                                        the raft index in the X-Hurrah-Index trailer (none: cut short)
//	POST   /restore                         body = a backup: replaces the state on every node (leader only)
//
// Any node takes any request but /restore (a follower answers it 503,
// naming the leader). A write, a linearizable read or backup, a join or a
// remove that reaches a follower is forwarded, once, to the leader's HTTP
// API and its answer passed back, so a client never needs to find the
// leader (a forwarded request that finds no leader gets 503 and the
// leader's name, if known). Errors come as JSON {"error": "..."}, with
// 400 for a bad key, body, ttl or member, or a damaged backup, 401
// without the token, 404 for a missing key or member, 409 for a
// duplicate member or a join that
// would change a member's HTTP address (remove it first), 413 for a value
// over 16 MiB, and 503 when no leader can take the request now, or a
// write's outcome is unknown (read it back to find out), or the node met
// a damaged raft log entry (its /status health says so: stop it, wipe its
// -dir and start it again; it catches up from the leader).
//
// # Security
//
// With -token (or HURRAH_TOKEN in the environment) every request must
// carry "Authorization: Bearer <token>", or it gets 401 and changes
// nothing. With -tls-cert, -tls-key and -tls-ca, raft's traffic and the
// HTTP API both run over TLS with mutual authentication: a peer or a
// client must show a certificate signed by the CA.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// run runs a node, or a local cluster, as args say, until ctx ends.
func run(ctx context.Context, args []string) error {
	f, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed
	}
	if err != nil {
		return err
	}
	if f.genCerts != "" {
		return genCerts(f.genCerts)
	}
	if f.local > 0 {
		return runLocal(ctx, f, os.Stdout)
	}
	return serve(ctx, f, os.Stdout)
}
