package main

import (
	"crypto/tls"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// newTransport returns raft's TCP transport on addr (listened on and
// advertised), over mutual TLS if tlsConf is not nil.
func newTransport(addr string, tlsConf *tls.Config, logger hclog.Logger) (*raft.NetworkTransport, error) {
	if tlsConf != nil {
		return nil, errors.New("TLS: waiting for replica.NewTransport")
	}
	return raft.NewTCPTransportWithLogger(addr, nil, 3, 10*time.Second, logger)
}

// useDir keeps cfg's raft stores under dir.
func useDir(cfg *replica.Config, dir string) error {
	return nil // TODO: Config.Dir, once on-disk stores are merged
}

// loadTLS returns the mutual TLS settings f names, or nil for none.
func loadTLS(f flags) (*tls.Config, error) {
	if !f.tls() {
		return nil, nil
	}
	return nil, errors.New("TLS: waiting for replica.MutualTLS")
}
