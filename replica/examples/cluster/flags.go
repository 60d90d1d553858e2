package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
)

// flags are a node's settings, or a local cluster's.
type flags struct {
	id, raft, http, dir, join string
	bootstrap                 bool
	token                     string // from -token or HURRAH_TOKEN
	tlsCert, tlsKey, tlsCA    string
	logLevel                  string
	// local, if > 0, runs a local cluster of that many nodes with ports
	// from localPort on (HTTP localPort+i, raft localPort+100+i).
	local     int
	localPort int
	// snapshotThreshold and snapshotInterval are raft's
	// SnapshotThreshold and SnapshotInterval (0: raft's defaults).
	snapshotThreshold uint64
	snapshotInterval  time.Duration
	// genCerts, if set, is a directory to write certificates for trying
	// TLS into (see certs.go), and nothing else is done.
	genCerts string
	// heartbeat is raft's heartbeat and election timeout (0: raft's).
	heartbeat time.Duration
	// bench, if > 0, makes -local measure the cluster for that long a
	// phase from benchClients clients, print the figures and stop (see
	// bench.go).
	bench        time.Duration
	benchClients int
}

// parseFlags parses args; usage and errors go to usage.
func parseFlags(args []string, usage io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&f.id, "id", "", "this node's ID: unique, the same across restarts")
	fs.StringVar(&f.raft, "raft", "127.0.0.1:12001", "raft address to listen on and advertise")
	fs.StringVar(&f.http, "http", "127.0.0.1:11001", "HTTP API address")
	fs.StringVar(&f.dir, "dir", "", "directory of raft's log and snapshots (required)")
	fs.StringVar(&f.join, "join", "", "HTTP address of a cluster member to join through")
	fs.BoolVar(&f.bootstrap, "bootstrap", false, "make a new cluster of this node (if -dir holds none)")
	fs.StringVar(&f.token, "token", "", "bearer token every request must carry (default $HURRAH_TOKEN)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "this node's certificate (PEM), for raft and HTTPS")
	fs.StringVar(&f.tlsKey, "tls-key", "", "its private key (PEM)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "the CA (PEM) that peers' and clients' certificates must chain to")
	fs.StringVar(&f.logLevel, "log", "warn", "raft's log level: trace, debug, info, warn, error, off")
	fs.IntVar(&f.local, "local", 0, "run a local cluster of this many nodes, each its own process")
	fs.IntVar(&f.localPort, "local-port", 11000, "with -local: HTTP ports from this+1, raft ports from this+101")
	fs.StringVar(&f.genCerts, "gen-certs", "", "write a CA and certificates for a local cluster and curl into this directory, and exit")
	fs.Uint64Var(&f.snapshotThreshold, "snapshot-threshold", 0, "raft log entries between snapshots (0: raft's default)")
	fs.DurationVar(&f.snapshotInterval, "snapshot-interval", 0, "how often raft checks whether to snapshot (0: raft's default)")
	fs.DurationVar(&f.heartbeat, "heartbeat", 0, "raft's heartbeat and election timeout (0: raft's default)")
	fs.DurationVar(&f.bench, "bench", 0, "with -local: measure writes/s and reads/s for this long each, print them, and stop")
	fs.IntVar(&f.benchClients, "bench-clients", 64, "with -bench: concurrent clients")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.token == "" {
		f.token = os.Getenv("HURRAH_TOKEN") // not the flag's default: -h would print it
	}
	return f, f.check()
}

// check reports settings that cannot work together.
func (f flags) check() error {
	tls := f.tlsCert != "" || f.tlsKey != "" || f.tlsCA != ""
	switch {
	case tls && (f.tlsCert == "" || f.tlsKey == "" || f.tlsCA == ""):
		return errors.New("-tls-cert, -tls-key and -tls-ca go together")
	case hclog.LevelFromString(f.logLevel) == hclog.NoLevel:
		return fmt.Errorf("-log %q: want trace, debug, info, warn, error or off", f.logLevel)
	case f.local < 0 || f.local > 9:
		return errors.New("-local takes 1 to 9 nodes")
	case f.bench < 0 || f.bench > 0 && f.local == 0 || f.benchClients < 1:
		return errors.New("-bench takes a duration, with -local; -bench-clients at least 1")
	case f.local > 0 || f.genCerts != "":
		return nil
	case f.id == "":
		return errors.New("-id is required")
	case f.dir == "":
		return errors.New("-dir is required")
	case f.bootstrap && f.join != "":
		return errors.New("-bootstrap and -join exclude each other")
	}
	return nil
}

// tls reports whether the node runs with TLS.
func (f flags) tls() bool { return f.tlsCert != "" }

// scheme is the scheme of the HTTP API's URLs.
func (f flags) scheme() string {
	if f.tls() {
		return "https"
	}
	return "http"
}
