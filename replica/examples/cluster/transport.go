package main

import (
	"crypto/tls"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah/replica"
)

// newTransport returns raft's TCP transport on addr (listened on and
// advertised), over mutual TLS if tlsConf is not nil.
func newTransport(addr string, tlsConf *tls.Config, logger hclog.Logger) (*raft.NetworkTransport, error) {
	return replica.NewTransport(replica.TransportConfig{Bind: addr, TLS: tlsConf, Logger: logger})
}

// loadTLS returns the mutual TLS settings f names, or nil for none: one
// config for raft's transport, the HTTPS API, and the calls one node
// makes to another's API.
func loadTLS(f flags) (*tls.Config, error) {
	if !f.tls() {
		return nil, nil
	}
	return replica.MutualTLS(f.tlsCert, f.tlsKey, f.tlsCA)
}
