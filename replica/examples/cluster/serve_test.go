package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node stopped by its context (SIGTERM, in main) closes its HTTP server
// and its node and returns, leaving no goroutine behind (TestMain checks).
func TestServeStops(t *testing.T) {
	f, err := parseFlags([]string{"-id", "n1", "-raft", "127.0.0.1:0", "-http", "127.0.0.1:0", "-dir", t.TempDir(), "-bootstrap", "-log", "off"})
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	var out syncBuffer
	served := make(chan error, 1)
	go func() { served <- serve(ctx, f, &out) }()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "node n1: ready") }, 30*time.Second, 10*time.Millisecond)
	stop()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return")
	}
}
