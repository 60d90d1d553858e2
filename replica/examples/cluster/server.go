package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// serve runs one node as f says until ctx ends, then stops it: the HTTP
// server first (requests under way finish, for up to 5 s), then the node.
// It prints a line "node ID: raft ADDR, http ADDR" once it listens (with
// the ports the system chose for ":0") and "node ID: ready" once it has
// bootstrapped or joined.
func serve(ctx context.Context, f flags, out io.Writer) (err error) {
	tlsConf, err := loadTLS(f)
	if err != nil {
		return err
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "raft " + f.id, Level: hclog.LevelFromString(f.logLevel), Output: os.Stderr})
	trans, err := newTransport(f.raft, tlsConf, logger)
	if err != nil {
		return err
	}
	node, err := replica.NewNode(replica.Config{ID: f.id, Transport: trans, Dir: f.dir, Raft: raftConfig(f, logger)})
	if err != nil {
		_ = trans.Close()
		return err
	}
	defer func() {
		if cerr := node.Close(); err == nil {
			err = cerr
		}
	}()
	ln, err := net.Listen("tcp", f.http)
	if err != nil {
		return err
	}
	self := ln.Addr().String()
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	client := httpClient(tlsConf)
	defer client.CloseIdleConnections()
	srv := &http.Server{
		Handler:           newAPI(node, self, f.scheme(), f.token, client),
		ReadHeaderTimeout: 10 * time.Second,
		// A client sending its body slowly, or holding an idle
		// connection, gives it up after these: a value is 16 MiB at
		// most, which a loopback or LAN client sends well within them.
		ReadTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer shutdown(srv, served)
	fmt.Fprintf(out, "node %s: raft %s, http %s\n", f.id, node.Addr(), self)
	if err := start(ctx, f, node, self, client); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while joining: a clean stop
		}
		return err
	}
	fmt.Fprintf(out, "node %s: ready\n", f.id)
	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		served <- err // for shutdown
		return err
	}
}

// shutdown stops srv, letting requests under way finish for up to 5 s,
// and waits for its Serve to return.
func shutdown(srv *http.Server, served <-chan error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		_ = srv.Close()
	}
	<-served
}

// raftConfig returns raft's settings for f.
func raftConfig(f flags, logger hclog.Logger) *raft.Config {
	rc := raft.DefaultConfig()
	rc.Logger = logger
	if f.snapshotThreshold > 0 {
		rc.SnapshotThreshold = f.snapshotThreshold
	}
	if f.snapshotInterval > 0 {
		rc.SnapshotInterval = f.snapshotInterval
	}
	if f.heartbeat > 0 {
		rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = f.heartbeat, f.heartbeat, f.heartbeat/2
	}
	return rc
}

// httpClient returns a client for other nodes' APIs, showing this node's
// certificate if tlsConf is not nil.
func httpClient(tlsConf *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, MaxIdleConnsPerHost: 64}}
}

// start bootstraps a cluster or joins one, as f says: -bootstrap on a node
// whose stores hold a cluster already does nothing; -join asks again on
// every start until it is answered (joining as a member changes nothing),
// or refused for good.
func start(ctx context.Context, f flags, node *replica.Node, self string, client *http.Client) error {
	switch {
	case f.bootstrap:
		err := node.Bootstrap(replica.Server{ID: f.id, Addr: node.Addr()})
		if errors.Is(err, raft.ErrCantBootstrap) {
			return nil // a restart: the stores hold the cluster
		}
		if err != nil {
			return err
		}
		if _, err := node.WaitLeader(ctx); err != nil {
			return err
		}
		return retry(ctx, func() error { return node.SetBytes(ctx, httpKey(f.id), []byte(self)) })
	case f.join != "":
		req := joinRequest{ID: f.id, Addr: node.Addr(), HTTP: self}
		return retry(ctx, func() error { return joinVia(ctx, client, f, req) })
	}
	return nil
}

// retry calls try every half second until it succeeds, is refused for
// good (errRefused) or ctx ends, and says why at the first failure and
// every 5 s.
func retry(ctx context.Context, try func() error) error {
	for i := 0; ; i++ {
		err := try()
		if err == nil || errors.Is(err, errRefused) {
			return err
		}
		if i%10 == 0 {
			fmt.Fprintln(os.Stderr, "still trying:", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
