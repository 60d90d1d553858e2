package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// A benchmark of a local cluster across processes: with -local N -bench
// D, once the N nodes are members, the parent process runs three phases
// of D each from -bench-clients concurrent HTTP clients (keep-alive
// connections) and prints calls/s for each, then stops every node:
//
//	cd replica && go run ./examples/cluster -local 5 -bench 10s
//
//   - writes: PUT of a 64-byte value to the leader's API, over
//     benchKeys keys (replicated, committed by a majority, raft's log
//     fsynced by bbolt on every node);
//   - linearizable reads: GET of those keys on the leader;
//   - stale reads: GET ?stale=1, each client on one node, the clients
//     spread over all N.
//
// Every node is its own process, raft runs over TCP on loopback, and the
// clients run in this process: on one machine they share its cores.

// benchKeys is how many keys the phases write and read.
const benchKeys = 100_000

// benchValue is the value each write sets.
var benchValue = []byte(strings.Repeat("v", 64))

// loadAverage returns the machine's load averages (1, 5, 15 minutes), or
// "unknown" where /proc/loadavg is not.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(b)); err == nil && len(fields) >= 3 {
		return strings.Join(fields[:3], " ")
	}
	return "unknown"
}

// benchLeader returns the ID of the leader and its HTTP address, with a
// space between, as node 1's /status has them.
func benchLeader(ctx context.Context, c *http.Client, f flags) (string, error) {
	code, body, err := call(ctx, c, f, http.MethodGet, localHTTP(f, 1), "/status", nil)
	if err != nil {
		return "", err
	}
	var s statusBody
	if err := json.Unmarshal(body, &s); err != nil || code != http.StatusOK || s.Leader == nil || s.Leader.HTTP == "" {
		return "", fmt.Errorf("no leader known: %d %s", code, body)
	}
	return s.Leader.ID + " " + s.Leader.HTTP, nil
}

// runBench runs the phases against the local cluster of f and prints
// their figures to out.
func runBench(ctx context.Context, f flags, out io.Writer) error {
	tlsConf, err := loadTLS(f)
	if err != nil {
		return err
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, MaxIdleConnsPerHost: f.benchClients}}
	defer c.CloseIdleConnections()
	named, err := benchLeader(ctx, c, f)
	if err != nil {
		return err
	}
	leader := named[strings.IndexByte(named, ' ')+1:]
	fmt.Fprintf(out, "\n%d nodes (processes), leader %s, %d clients, %s a phase, load average %s\n",
		f.local, named, f.benchClients, f.bench, loadAverage())
	var written atomic.Int64
	phases := []struct {
		name string
		call benchCall
	}{
		{"writes", func(_ int, i int64) (string, string, string, []byte) {
			return http.MethodPut, leader, benchKey(i, benchKeys), benchValue
		}},
		{"linearizable reads", func(_ int, i int64) (string, string, string, []byte) {
			return http.MethodGet, leader, benchKey(i, written.Load()), nil
		}},
		{"stale reads", func(client int, i int64) (string, string, string, []byte) {
			return http.MethodGet, localHTTP(f, 1+client%f.local), benchKey(i, written.Load()) + "?stale=1", nil
		}},
	}
	for _, p := range phases {
		n, failed, err := benchPhase(ctx, c, f, p.call)
		if ctx.Err() != nil {
			return nil // Ctrl-C: no figures for a phase cut short; the nodes stop
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		written.CompareAndSwap(0, n) // the writes' phase: keys b0.. are set
		fmt.Fprintf(out, "%-20s %10.0f /s  (%d calls, %d failed)\n", p.name, float64(n)/f.bench.Seconds(), n, failed)
	}
	return nil
}

// benchCall returns the request of call i of a phase from client
// client: its method, node address, path and body.
type benchCall func(client int, i int64) (method, addr, path string, body []byte)

// benchKey returns the path of the key of call i among n keys (at most
// benchKeys).
func benchKey(i, n int64) string {
	return "/key/b" + strconv.FormatInt(i%max(min(n, benchKeys), 1), 10)
}

// benchPhase runs call from f.benchClients goroutines for f.bench and
// returns how many calls got the status they wanted and how many did
// not. A call that fails to reach the node ends the phase with its error.
func benchPhase(ctx context.Context, c *http.Client, f flags, req benchCall) (ok, failed int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.bench)
	defer cancel()
	var next, good, bad atomic.Int64
	var first atomic.Pointer[error]
	var clients sync.WaitGroup
	for client := range f.benchClients {
		clients.Go(func() {
			for ctx.Err() == nil {
				method, addr, path, body := req(client, next.Add(1)-1)
				code, _, err := call(ctx, c, f, method, addr, path, body)
				switch {
				case ctx.Err() != nil:
					return // the phase ended mid-call: not counted
				case err != nil:
					first.CompareAndSwap(nil, &err)
					cancel()
				case code == http.StatusOK || code == http.StatusNoContent:
					good.Add(1)
				default:
					bad.Add(1)
				}
			}
		})
	}
	clients.Wait()
	if p := first.Load(); p != nil {
		return 0, 0, *p
	}
	return good.Load(), bad.Load(), nil
}
