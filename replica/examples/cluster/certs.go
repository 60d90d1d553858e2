package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// A small certificate authority, for trying TLS (-gen-certs) and for the
// tests: not a way to run production certificates.

// authority signs certificates.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte // cert, PEM-encoded
}

// newAuthority makes a self-signed CA called name, valid for a year.
func newAuthority(name string) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := template(name, time.Now().Add(365*24*time.Hour))
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, pem: pemBlock("CERTIFICATE", der)}, nil
}

// issue signs a certificate for name, good for serving and for showing as
// a client, at hosts (IP addresses or DNS names), until notAfter. It
// returns the certificate and its key, PEM-encoded.
func (a *authority) issue(name string, hosts []string, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := template(name, notAfter)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", kder), nil
}

// template is a certificate for name, valid from an hour ago (clocks
// differ) until notAfter. (x509.CreateCertificate picks a random serial
// number for it.)
func template(name string, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// genCerts writes into dir a new CA (ca.pem; its key is not kept), a
// certificate every node of a local cluster can use (node.pem,
// node-key.pem) and one for a client such as curl (client.pem,
// client-key.pem), valid for a year on loopback.
func genCerts(dir string) error {
	ca, err := newAuthority("hurrah example CA")
	if err != nil {
		return err
	}
	files := map[string][]byte{"ca.pem": ca.pem}
	for _, name := range []string{"node", "client"} {
		cert, key, err := ca.issue(name, []string{"127.0.0.1", "::1", "localhost"}, time.Now().Add(365*24*time.Hour))
		if err != nil {
			return err
		}
		files[name+".pem"], files[name+"-key.pem"] = cert, key
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	fmt.Printf("wrote ca.pem, node.pem, node-key.pem, client.pem, client-key.pem in %s\n", dir)
	return nil
}
