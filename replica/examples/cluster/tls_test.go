package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pki is a CA and certificates issued by it, in files for the server's
// flags and in memory for a test's client.
type pki struct {
	ca  *authority
	dir string
}

func newPKI(t *testing.T, name string) *pki {
	ca, err := newAuthority(name)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600))
	return &pki{ca: ca, dir: dir}
}

// issue issues a certificate for loopback, valid until notAfter, writes
// it and its key, and returns the server flags that use it with caFile.
func (k *pki) issue(t *testing.T, name string, notAfter time.Time, caFile string) []string {
	cert, key, err := k.ca.issue(name, []string{"127.0.0.1"}, notAfter)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(k.dir, name+".pem"), filepath.Join(k.dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certFile, cert, 0o600))
	require.NoError(t, os.WriteFile(keyFile, key, 0o600))
	return []string{"-tls-cert", certFile, "-tls-key", keyFile, "-tls-ca", caFile}
}

// client returns a TLS config that trusts k's CA and, if certFrom is not
// nil, shows a certificate that certFrom issues, valid until notAfter.
func (k *pki) client(t *testing.T, certFrom *pki, notAfter time.Time) *tls.Config {
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(k.ca.pem))
	c := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	if certFrom != nil {
		cert, key, err := certFrom.ca.issue("client", nil, notAfter)
		require.NoError(t, err)
		pair, err := tls.X509KeyPair(cert, key)
		require.NoError(t, err)
		// Shown even when the server asks for another CA's (Go's client
		// would hold back a certificate from Certificates): the server
		// must refuse it itself.
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	}
	return c
}

// With -tls-*, raft and the API run over mutual TLS: nodes with the
// cluster's certificates replicate and forward to each other; a client
// with no certificate, an expired one or one from another CA gets no
// answer, and a node with another CA's certificate cannot join. The token
// is still asked for over TLS.
func TestTLSRefusesStrangers(t *testing.T) {
	bin := build(t)
	const token = "tls-token"
	good, rogue := newPKI(t, "cluster-ca"), newPKI(t, "rogue-ca")
	year := time.Now().Add(365 * 24 * time.Hour)
	caFile := filepath.Join(good.dir, "ca.pem")
	n1 := startProc(t, bin, "n1", token, append(good.issue(t, "n1", year, caFile), "-bootstrap", "-heartbeat", "300ms")...)
	n2 := startProc(t, bin, "n2", token, append(good.issue(t, "n2", year, caFile), "-join", n1.http, "-heartbeat", "300ms")...)

	ok := newClient(t, token, good.client(t, good, year))
	code, body, err := ok.do(t.Context(), "PUT", n2.http, "/key/k", "v") // n2 forwards to n1, over TLS
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, code, body)
	_, body, err = ok.do(t.Context(), "GET", n2.http, "/key/k", "")
	require.NoError(t, err)
	require.Equal(t, "v", body)
	code, _, err = newClient(t, "", good.client(t, good, year)).do(t.Context(), "PUT", n1.http, "/key/k", "no token")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, code)

	strangers := []struct {
		name   string
		c      *client
		refuse string // what the TLS handshake says
	}{
		{"no certificate", newClient(t, token, good.client(t, nil, year)), "certificate required"},
		{"an expired certificate", newClient(t, token, good.client(t, good, time.Now().Add(-time.Minute))), "expired certificate"},
		{"another CA's certificate", newClient(t, token, good.client(t, rogue, year)), "unknown certificate authority"},
		{"plain HTTP", newClient(t, token, nil), ""},
	}
	for _, s := range strangers {
		for _, p := range []*proc{n1, n2} {
			code, body, err := s.c.do(t.Context(), "PUT", p.http, "/key/k", "stranger")
			if s.refuse == "" {
				require.Equal(t, http.StatusBadRequest, code, "%s on %s: %s", s.name, p.id, body)
				continue
			}
			require.ErrorContains(t, err, s.refuse, "%s on %s", s.name, p.id)
		}
	}

	intruder := newProc(t, "n3", token, append(rogue.issue(t, "n3", year, caFile), "-join", n1.http, "-heartbeat", "300ms")...)
	intruder.launch(bin)
	require.Eventually(t, func() bool { return strings.Contains(intruder.output(), "tls: certificate required") }, 30*time.Second, 20*time.Millisecond,
		"the intruder's join did not fail on TLS:\n%s", intruder.output())
	require.NotContains(t, intruder.output(), "ready")

	_, body, err = ok.do(t.Context(), "GET", n1.http, "/key/k", "")
	require.NoError(t, err)
	require.Equal(t, "v", body, "a stranger changed the value")
	require.Len(t, ok.status(t, n1.http).Members, 2, "the intruder joined")
}
