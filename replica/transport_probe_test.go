package replica

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

// A probe (Join's first step) whose context has already ended returns the
// context's error, not ErrUnreachable: the node was never tried.
func TestProbeWithEndedContext(t *testing.T) {
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer tr.Close()
	peer, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer peer.Close()
	require.NoError(t, probe(context.Background(), tr, string(peer.LocalAddr())), "a live peer")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = probe(ctx, tr, string(peer.LocalAddr()))
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrUnreachable)
}

// A probe whose context's deadline has passed returns at once with
// context.DeadlineExceeded (a dial given a timeout of 0 or less would
// wait without a limit).
func TestProbeWithPassedDeadline(t *testing.T) {
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()})
	require.NoError(t, err)
	defer tr.Close()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	err = probe(ctx, tr, "192.0.2.1:7000") // TEST-NET-1: nothing answers there
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, ErrUnreachable)
}
