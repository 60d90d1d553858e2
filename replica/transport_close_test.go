package replica

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Closing every node of a TCP cluster leaves no goroutine of raft's
// transport behind: a NetworkTransport's Close shuts its listener but not
// the connections it pooled to its peers, on whose far side raft's
// readers would wait for them for ever; Node.Close closes them too
// (CloseStreams). The garbage collector is off: a pooled connection
// left unreachable is closed by its finalizer, which would hide a leak.
func TestCloseLeavesNoTransportGoroutine(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	opts := goleak.IgnoreCurrent()
	n1, n2, n3 := startTCPNode(t, "n1", nil), startTCPNode(t, "n2", nil), startTCPNode(t, "n3", nil)
	l := tcpCluster(t, n1, n2, n3)
	for i := range 50 {
		require.NoError(t, l.SetBytes(context.Background(), "k", []byte{byte(i)}))
	}
	for _, n := range []*Node{n1, n2, n3} {
		require.NoError(t, n.Close())
	}
	goleak.VerifyNone(t, opts)
}
