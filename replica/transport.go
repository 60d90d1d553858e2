package replica

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// Defaults of TransportConfig.
const (
	// DefaultMaxPool is how many idle connections to each peer a
	// transport keeps.
	DefaultMaxPool = 3
	// DefaultTransportTimeout bounds a dial, a TLS handshake, and the
	// sending of one request (a snapshot install's is longer: raft
	// scales it with the snapshot's size).
	DefaultTransportTimeout = 10 * time.Second
)

// TransportConfig configures a raft transport over TCP between machines
// (NewTransport). Bind is required; every other zero field means the
// default its comment gives.
type TransportConfig struct {
	// Bind is the host:port to listen on (port 0: one the system picks).
	Bind string
	// Advertise is the host:port the other nodes dial to reach this one,
	// its raft address. "" means the bound address, which then must not
	// be unspecified (0.0.0.0 or ::).
	Advertise string
	// TLS, when set, makes every connection mutual TLS: this node
	// presents its certificate and checks the peer's against the cluster
	// CA, both ways (MutualTLS builds one from files). The transport
	// copies it and enforces TLS 1.3 and a verified certificate both
	// ways (it turns InsecureSkipVerify off), on any config its
	// GetConfigForClient returns too (which must hold the ClientCAs).
	// nil means plaintext TCP.
	TLS *tls.Config
	// Cluster, when set, names the cluster on every connection: a node
	// dialing sends it first, and a node accepts only a connection that
	// names its own, so nodes of two clusters cannot exchange a message,
	// TLS or not (and Node.Join refuses such a node with ErrOtherCluster).
	// Every node of a cluster must give the same name (Config.Cluster,
	// if set, must be it too), at most 255 bytes. "" sends no name over
	// plain TCP (raft's own wire protocol), and the empty name over TLS,
	// so that a dialing node learns at once if the peer refused its
	// certificate (see nameMagic).
	Cluster string
	// MaxPool is how many idle connections to each peer to keep.
	// Default DefaultMaxPool.
	MaxPool int
	// Timeout bounds a dial, a TLS handshake and a request's sending.
	// Default DefaultTransportTimeout.
	Timeout time.Duration
	// Logger takes the transport's log. nil means raft's default logger.
	Logger hclog.Logger
}

// NewTransport listens on c.Bind and returns a raft transport over TCP,
// mutual TLS if c.TLS is set, for Config.Transport (the node's Close
// closes it). An unusable config returns ErrInvalidConfig; an address
// it cannot listen on, the listener's error.
func NewTransport(c TransportConfig) (*raft.NetworkTransport, error) {
	tc, err := c.resolve()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Bind)
	if err != nil {
		return nil, fmt.Errorf("replica: transport: %w", err)
	}
	adv, err := advertised(c.Advertise, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &streamLayer{Listener: ln, advertise: adv, tls: tc, timeout: c.Timeout, cluster: c.Cluster}
	t := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: s, MaxPool: c.MaxPool, Timeout: c.Timeout, Logger: c.Logger,
	})
	s.owner = t
	streams.Store(t, s)
	return t, nil
}

// resolve checks c, fills in its defaults (c is a copy), and returns the
// TLS config to use: nil, or a copy of c.TLS made mutual and TLS 1.3.
func (c *TransportConfig) resolve() (*tls.Config, error) {
	if c.Bind == "" || c.MaxPool < 0 || c.Timeout < 0 || len(c.Cluster) > 255 {
		return nil, fmt.Errorf("%w: transport needs a Bind address, no negative MaxPool or Timeout, a Cluster name of at most 255 bytes", ErrInvalidConfig)
	}
	if c.MaxPool == 0 {
		c.MaxPool = DefaultMaxPool
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTransportTimeout
	}
	if c.TLS == nil {
		return nil, nil
	}
	if len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil {
		return nil, fmt.Errorf("%w: TLS config without a certificate", ErrInvalidConfig)
	}
	if c.TLS.RootCAs == nil || c.TLS.ClientCAs == nil {
		return nil, fmt.Errorf("%w: TLS config needs the cluster CA in RootCAs and ClientCAs", ErrInvalidConfig)
	}
	return mutualOnly(c.TLS), nil
}

// mutualOnly returns a copy of tc that requires TLS 1.3 and checks the
// peer's certificate both ways, and makes any config its
// GetConfigForClient returns for a connection the same.
func mutualOnly(tc *tls.Config) *tls.Config {
	tc = tc.Clone()
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS13)
	tc.ClientAuth = tls.RequireAndVerifyClientCert
	tc.InsecureSkipVerify = false
	if get := tc.GetConfigForClient; get != nil {
		tc.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(h)
			if c == nil || err != nil {
				return c, err
			}
			if c.ClientCAs == nil { // nil would mean the system's roots
				return nil, fmt.Errorf("%w: GetConfigForClient's config has no ClientCAs", ErrInvalidConfig)
			}
			c = c.Clone()
			c.GetConfigForClient = nil
			return mutualOnly(c), nil
		}
	}
	return tc
}

// advertised returns the address to advertise: adv as given (a host name
// stays one: the others dial it, and a certificate names it), once it
// resolves to an address others can dial, or the bound one.
func advertised(adv string, bound net.Addr) (net.Addr, error) {
	addr, ok := bound.(*net.TCPAddr)
	if adv != "" {
		a, err := net.ResolveTCPAddr("tcp", adv)
		if err != nil {
			return nil, fmt.Errorf("%w: advertise address %q: %w", ErrInvalidConfig, adv, err)
		}
		addr, ok = a, true
	}
	if !ok || addr.IP == nil || addr.IP.IsUnspecified() {
		return nil, fmt.Errorf("%w: %v is not an address others can dial: set Advertise", ErrInvalidConfig, bound)
	}
	if adv != "" {
		return hostAddr(adv), nil
	}
	return addr, nil
}

// hostAddr is an advertised TCP address as given, host name and all.
type hostAddr string

func (a hostAddr) Network() string { return "tcp" }
func (a hostAddr) String() string  { return string(a) }

// streamLayer is raft's stream layer over TCP, or mutual TLS over TCP,
// with the cluster's name first on each connection if it has one.
type streamLayer struct {
	net.Listener
	advertise net.Addr
	tls       *tls.Config // nil: plaintext
	timeout   time.Duration
	cluster   string
	owner     *raft.NetworkTransport
}

// streams maps each open transport NewTransport made to its stream
// layer, for Node.Join's probe (see probe).
var streams sync.Map

// Close stops listening; raft's transport calls it as it closes.
func (s *streamLayer) Close() error {
	streams.Delete(s.owner)
	return s.Listener.Close()
}

// Addr returns the advertised address: the node's raft address.
func (s *streamLayer) Addr() net.Addr { return s.advertise }

// Dial connects to a peer; over TLS, it returns once the handshake has
// verified the peer's certificate and the peer has answered, so has
// taken this node's.
func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout}
	var c net.Conn
	var err error
	if s.tls == nil {
		c, err = d.Dial("tcp", string(addr))
	} else {
		c, err = tls.DialWithDialer(d, "tcp", string(addr), s.tls)
	}
	if err != nil || (s.cluster == "" && s.tls == nil) {
		return c, err
	}
	if err := sendName(c, s.cluster, timeout); err != nil { // see nameMagic
		c.Close()
		return nil, err
	}
	return c, nil
}

// Accept takes the next connection. Over TLS, the handshake runs (bounded
// by the timeout) on the connection's first read or write, in raft's
// goroutine for that connection, so one slow peer delays no other.
func (s *streamLayer) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if err != nil || (s.tls == nil && s.cluster == "") {
		return c, err
	}
	sc := &serverConn{Conn: c, timeout: s.timeout, cluster: s.cluster}
	if s.tls != nil {
		sc.tls = tls.Server(c, s.tls)
		sc.Conn = sc.tls
	}
	return sc, nil
}

// serverConn is an accepted connection whose TLS handshake, and check of
// the cluster name, run before its first read or write, with a deadline.
type serverConn struct {
	net.Conn
	tls     *tls.Conn // nil: plaintext
	timeout time.Duration
	cluster string // the name expected ("" over TLS: the empty name)
	once    sync.Once
	err     error
}

// handshake runs the handshake once, within the timeout.
func (c *serverConn) handshake() error {
	c.once.Do(func() {
		if c.tls != nil {
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			defer cancel()
			if c.err = c.tls.HandshakeContext(ctx); c.err != nil {
				return
			}
		}
		c.err = checkName(c.Conn, c.cluster, c.timeout) // TLS, or a name: see nameMagic
	})
	return c.err
}

// Read reads once the handshake has succeeded.
func (c *serverConn) Read(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// Write writes once the handshake has succeeded.
func (c *serverConn) Write(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
