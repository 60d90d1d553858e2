package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Three processes on loopback under a bounded client load: the leader is
// killed with SIGKILL and restarted from its -dir, then a follower, then
// all three at once; every set and delete the cluster acknowledged is on
// every node afterwards, and SIGTERM stops each node cleanly.
func TestKill9UnderLoad(t *testing.T) {
	bin := build(t)
	const token = "kill-9-token"
	fast := []string{"-heartbeat", "300ms", "-snapshot-threshold", "64", "-snapshot-interval", "200ms"}
	n1 := startProc(t, bin, "n1", token, append(fast, "-bootstrap")...)
	n2 := startProc(t, bin, "n2", token, append(fast, "-join", n1.http)...)
	n3 := startProc(t, bin, "n3", token, append(fast, "-join", n1.http)...)
	procs := []*proc{n1, n2, n3}
	c := newClient(t, token, nil)
	l := newLoad(t, c, []string{n1.http, n2.http, n3.http})

	l.waitMore(200)
	for _, p := range procs { // so that a restart restores a snapshot, then the log
		require.Eventually(t, func() bool { return snapshots(p) > 0 }, 30*time.Second, 20*time.Millisecond, "%s took no snapshot", p.id)
	}
	var last *proc
	for _, pick := range []string{"leader", "follower"} {
		p := leaderOr(t, c, procs, pick == "leader", last)
		last = p
		t.Logf("kill -9 the %s, %s", pick, p.id)
		require.Error(t, p.kill(syscall.SIGKILL))
		l.waitMore(200) // the others carry on
		p.start(bin)
		l.waitMore(200)
	}
	acked := l.stop()
	t.Logf("%d writes acknowledged, %d keys to check", l.n, len(acked))
	for _, p := range procs { // all at once: now only the directories know
		require.Error(t, p.kill(syscall.SIGKILL))
	}
	for _, p := range procs {
		p.start(bin)
	}

	for _, p := range procs {
		waitApplied(t, c, procs, p)
		for k, v := range acked {
			code, body, err := c.do(t.Context(), "GET", p.http, "/key/"+k+"?stale=1", "")
			require.NoError(t, err)
			if v == "" {
				require.Equal(t, http.StatusNotFound, code, "deleted %s is back on %s: %s\n%s", k, p.id, body, p.tail())
				continue
			}
			require.Equal(t, http.StatusOK, code, "acknowledged %s missing on %s: %s\n%s", k, p.id, body, p.tail())
			require.Equal(t, v, body)
		}
	}
	for _, p := range procs {
		require.NoError(t, p.kill(syscall.SIGTERM), "node %s on SIGTERM:\n%s", p.id, p.tail())
	}
}

// leaderOr returns the process that leads, or one that does not, other
// than not.
func leaderOr(t *testing.T, c *client, procs []*proc, leader bool, not *proc) *proc {
	t.Helper()
	var id string
	require.Eventually(t, func() bool {
		s := c.status(t, procs[0].http)
		if s.Leader != nil {
			id = s.Leader.ID
		}
		return s.Leader != nil
	}, 30*time.Second, 20*time.Millisecond)
	for _, p := range procs {
		if (p.id == id) == leader && p != not {
			return p
		}
	}
	panic("unreachable: three processes, one leader")
}

// snapshots returns how many raft snapshots p's directory holds.
func snapshots(p *proc) int {
	entries, _ := os.ReadDir(filepath.Join(p.dir, "snapshots")) // none yet: 0
	return len(entries)
}

// waitApplied waits until p has applied as much as the leader had when it
// was asked.
func waitApplied(t *testing.T, c *client, procs []*proc, p *proc) {
	t.Helper()
	l := leaderOr(t, c, procs, true, nil)
	want := c.status(t, l.http).Applied
	require.Eventually(t, func() bool { return c.status(t, p.http).Applied >= want }, 30*time.Second, 20*time.Millisecond,
		"%s behind the leader's %d:\n%s", p.id, want, p.tail())
}

// load writes through every node from four clients until stopped (or
// 20000 writes): each sets new keys, and deletes every third key it has
// just set (once the set is acknowledged). It keeps the outcome of the
// writes acknowledged: a key's value, or "" for a key deleted.
type load struct {
	t      *testing.T
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  map[string]string
	n      int // writes acknowledged
}

func newLoad(t *testing.T, c *client, addrs []string) *load {
	ctx, stop := context.WithCancel(t.Context())
	l := &load{t: t, cancel: stop, acked: map[string]string{}}
	t.Cleanup(func() { l.stop() })
	for w := range 4 {
		l.wg.Go(func() {
			last := "" // the key this client set last, if acknowledged
			for i := 0; i < 5000 && ctx.Err() == nil; i++ {
				k, method, v := fmt.Sprintf("w%d-%d", w, i), "PUT", fmt.Sprintf("v%d", i)
				if i%3 == 2 && last != "" {
					k, method, v = last, "DELETE", ""
				}
				code, _, err := c.do(ctx, method, addrs[(w+i)%len(addrs)], "/key/"+k, v)
				ok := err == nil && code == http.StatusNoContent
				l.record(k, v, method, ok)
				if last = ""; ok && method == "PUT" {
					last = k
				}
				if !ok {
					select { // a node down, or no leader yet: the next try goes elsewhere
					case <-ctx.Done():
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
		})
	}
	return l
}

// record notes a write's outcome: acknowledged, its effect is expected; a
// delete not acknowledged leaves its key's state unknown, unchecked.
func (l *load) record(k, v, method string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case ok:
		l.acked[k] = v
		l.n++
	case method == "DELETE":
		delete(l.acked, k)
	}
}

// waitMore waits until n more writes are acknowledged.
func (l *load) waitMore(n int) {
	l.t.Helper()
	l.mu.Lock()
	want := l.n + n
	l.mu.Unlock()
	require.Eventually(l.t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.n >= want
	}, 30*time.Second, 10*time.Millisecond, "the cluster stopped acknowledging writes")
}

// stop stops the clients and returns the writes acknowledged.
func (l *load) stop() map[string]string {
	l.cancel()
	l.wg.Wait()
	return l.acked
}
