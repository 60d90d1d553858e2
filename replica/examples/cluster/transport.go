package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
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
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(f.tlsCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s holds no PEM certificate", f.tlsCA)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13,
	}, nil
}
