package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node stopped by its context (SIGTERM, in main) closes its HTTP server
// and its node and returns, leaving no goroutine behind (TestMain checks).
func TestServeStops(t *testing.T) {
	f, err := parseFlags([]string{"-id", "n1", "-raft", "127.0.0.1:0", "-http", "127.0.0.1:0", "-dir", t.TempDir(), "-bootstrap", "-log", "off"}, io.Discard)
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

// Flags that cannot work together are refused before anything starts.
func TestFlagsRefused(t *testing.T) {
	for name, args := range map[string][]string{
		"no id":                 {"-dir", "d"},
		"no dir":                {"-id", "n1"},
		"bootstrap and join":    {"-id", "n1", "-dir", "d", "-bootstrap", "-join", "h:1"},
		"half of TLS":           {"-id", "n1", "-dir", "d", "-tls-cert", "c.pem"},
		"unknown log level":     {"-id", "n1", "-dir", "d", "-log", "loud"},
		"too many local":        {"-local", "10"},
		"bench without local":   {"-id", "n1", "-dir", "d", "-bench", "1s"},
		"bench with no clients": {"-local", "3", "-bench", "1s", "-bench-clients", "0"},
		"stray argument":        {"-id", "n1", "-dir", "d", "extra"},
		"unknown flag":          {"-id", "n1", "-dir", "d", "-verbose"},
		"a duration that isn't": {"-id", "n1", "-dir", "d", "-heartbeat", "fast"},
	} {
		_, err := parseFlags(args, io.Discard)
		require.Error(t, err, name)
	}
	t.Setenv("HURRAH_TOKEN", "from-env")
	f, err := parseFlags([]string{"-id", "n1", "-dir", "d", "-log", "off"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "from-env", f.token)
	var usage strings.Builder
	_, err = parseFlags([]string{"-h"}, &usage)
	require.Error(t, err)
	require.NotContains(t, usage.String(), "from-env", "-h shows the token")
}

// A node started with -join that the cluster refuses for good (here, a
// wrong bearer token: 401) gives up and says why, rather than asking again
// for ever; the cluster keeps its one member.
func TestJoinRefusedGivesUp(t *testing.T) {
	f1, err := parseFlags([]string{"-id", "n1", "-raft", "127.0.0.1:0", "-http", "127.0.0.1:0", "-dir", t.TempDir(), "-bootstrap", "-log", "off", "-token", "right"}, io.Discard)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var out1 syncBuffer
	served1 := make(chan error, 1)
	go func() { served1 <- serve(ctx, f1, &out1) }()
	require.Eventually(t, func() bool { return strings.Contains(out1.String(), "node n1: ready") }, 30*time.Second, 10*time.Millisecond)
	http1 := regexp.MustCompile(`http (\S+)`).FindStringSubmatch(out1.String())[1]

	f2, err := parseFlags([]string{"-id", "n2", "-raft", "127.0.0.1:0", "-http", "127.0.0.1:0", "-dir", t.TempDir(), "-join", http1, "-log", "off", "-token", "wrong"}, io.Discard)
	require.NoError(t, err)
	served2 := make(chan error, 1)
	go func() { served2 <- serve(ctx, f2, io.Discard) }()
	select {
	case err := <-served2:
		require.ErrorIs(t, err, errRefused)
		require.ErrorContains(t, err, "401")
	case <-time.After(30 * time.Second):
		t.Fatal("the refused node is still trying to join")
	}
	stop()
	require.NoError(t, <-served1)
}
