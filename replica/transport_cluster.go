package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// The cluster name on a connection (TransportConfig.Cluster): the dialing
// side sends nameMagic, the name's length in one byte, and the name; the
// accepting side answers one byte, nameOK if the name is its own, and
// otherwise nameRefused, and closes. Raft's own messages follow. The
// magic's first byte is no raft message type, so a transport without a
// name refuses a connection with one, and the reverse. Over TLS the
// exchange runs even without a name (the empty one): TLS 1.3 tells the
// dialing side that the peer refused its certificate only on its first
// read, and the answer is that read, so Dial, and Join's probe, see the
// refusal before a raft message is sent.
const (
	nameMagic   = "hurrah-raft-cluster:"
	nameOK      = 1
	nameRefused = 0
)

// sendName names cluster on c and reads the answer, within timeout. A
// refusal returns ErrOtherCluster.
func sendName(c net.Conn, cluster string, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	msg := append([]byte(nameMagic), byte(len(cluster)))
	if _, err := c.Write(append(msg, cluster...)); err != nil {
		return err
	}
	var answer [1]byte
	if _, err := io.ReadFull(c, answer[:]); err != nil {
		return err // over TLS 1.3, also the peer's refusal of our certificate
	}
	if answer[0] != nameOK {
		return fmt.Errorf("%w: %s does not take cluster %q", ErrOtherCluster, c.RemoteAddr(), cluster)
	}
	return nil
}

// sameCluster refuses, with ErrInvalidConfig, a node whose Config.Cluster
// and transport's name (TransportConfig.Cluster) are both set and differ.
func sameCluster(tr raft.Transport, cluster string) error {
	v, ok := streams.Load(tr)
	if !ok || cluster == "" || v.(*streamLayer).cluster == "" || v.(*streamLayer).cluster == cluster {
		return nil
	}
	return fmt.Errorf("%w: Config.Cluster %q, the transport's %q", ErrInvalidConfig, cluster, v.(*streamLayer).cluster)
}

// checkName reads the name a dialing node sends on c and answers it,
// within timeout: a name other than cluster, or none, returns
// ErrOtherCluster.
func checkName(c net.Conn, cluster string, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	head := make([]byte, len(nameMagic)+1)
	if _, err := io.ReadFull(c, head); err != nil {
		return err
	}
	name := make([]byte, head[len(nameMagic)])
	if string(head[:len(nameMagic)]) == nameMagic {
		if _, err := io.ReadFull(c, name); err != nil {
			return err
		}
	}
	if string(head[:len(nameMagic)]) != nameMagic || string(name) != cluster {
		c.Write([]byte{nameRefused})
		return fmt.Errorf("%w: %s names another cluster", ErrOtherCluster, c.RemoteAddr())
	}
	_, err := c.Write([]byte{nameOK})
	return err
}

// probe connects to addr as the transport tr will, if NewTransport made
// it (any other transport: nothing to check), and hangs up, within the
// transport's timeout or ctx's deadline, whichever comes first: TLS, with
// the peer's certificate checked, and the cluster name. A peer of another
// cluster returns ErrOtherCluster; one it cannot reach, whose certificate
// it refuses, or that refuses this node's, ErrUnreachable.
func probe(ctx context.Context, tr raft.Transport, addr string) error {
	v, ok := streams.Load(tr)
	if !ok {
		return nil
	}
	s := v.(*streamLayer)
	if err := ctx.Err(); err != nil {
		return err // the node was never tried: not ErrUnreachable
	}
	timeout := s.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
		if timeout <= 0 { // gone meanwhile; and a dialer takes 0 as no limit
			return context.DeadlineExceeded
		}
	}
	c, err := s.Dial(raft.ServerAddress(addr), timeout)
	var remote *net.OpError
	switch {
	case errors.Is(err, ErrOtherCluster):
		return err
	case errors.As(err, &remote) && remote.Op == "remote error": // crypto/tls's, for a TLS alert
		return fmt.Errorf("%w: %s refused this node's certificate (does its CA trust ours?): %w", ErrUnreachable, addr, err)
	case err != nil:
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, addr, err)
	}
	return c.Close()
}
