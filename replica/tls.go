package replica

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// MutualTLS returns a TLS config for TransportConfig.TLS from PEM files:
// this node's certificate and key, and the cluster CA's certificate.
// Every node presents its certificate, both when it dials and when it is
// dialed, and accepts a peer only if the peer's certificate is signed by
// the CA and valid now; a dialing node also checks that the certificate
// names the address it dialed (an IP or DNS subject alternative name).
// So each node's certificate is made for both server and client
// authentication, names its advertised host, and is signed by the CA.
// TLS 1.3 is the minimum. A file that cannot be read or parsed, or a
// certificate expired or not yet valid, returns ErrInvalidConfig.
func MutualTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate %s, key %s: %w", ErrInvalidConfig, certFile, keyFile, err)
	}
	if cert.Leaf == nil { // Go sets it; a GODEBUG can unset it
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("%w: certificate %s: %w", ErrInvalidConfig, certFile, err)
		}
	}
	if now := time.Now(); now.Before(cert.Leaf.NotBefore) || now.After(cert.Leaf.NotAfter) {
		return nil, fmt.Errorf("%w: certificate %s is valid from %v to %v only", ErrInvalidConfig,
			certFile, cert.Leaf.NotBefore, cert.Leaf.NotAfter)
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("%w: CA: %w", ErrInvalidConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%w: CA %s holds no PEM certificate", ErrInvalidConfig, caFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}, nil
}
