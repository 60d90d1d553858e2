package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Real processes of the example server, for the kill -9 and TLS tests.

// buildOnce builds the example server once per test binary, into a
// temporary directory that TestMain removes (builtIn).
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hurrah-example-")
	if err != nil {
		return "", err
	}
	builtIn.Store(&dir)
	bin := filepath.Join(dir, "cluster")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// builtIn is the directory buildOnce built into, if it ran.
var builtIn atomic.Pointer[string]

// removeBuild removes the directory buildOnce built into, if any.
func removeBuild() {
	if dir := builtIn.Load(); dir != nil {
		os.RemoveAll(*dir)
	}
}

// build returns the example server's binary, built into a temporary
// directory (removed when the tests end).
func build(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	bin, err := buildOnce()
	require.NoError(t, err)
	return bin
}

// proc is one node process.
type proc struct {
	t          *testing.T
	id, dir    string
	raft, http string   // addresses, once it has said them
	args       []string // flags besides -id, -dir, -raft and -http
	token      string
	cmd        *exec.Cmd
	waited     chan error // Wait's result
	log        string     // its stdout and stderr
}

// startProc starts node id with args under t.TempDir, on loopback ports
// the system picks, and waits until it is ready. t.Cleanup kills it.
func startProc(t *testing.T, bin, id, token string, args ...string) *proc {
	p := newProc(t, id, token, args...)
	p.start(bin)
	return p
}

// newProc returns node id, not started, with args.
func newProc(t *testing.T, id, token string, args ...string) *proc {
	return &proc{t: t, id: id, dir: filepath.Join(t.TempDir(), id), raft: "127.0.0.1:0", http: "127.0.0.1:0", args: args, token: token}
}

var listening = regexp.MustCompile(`node \S+: raft (\S+), http (\S+)\n`)

// start starts the process again (at the addresses it had) and waits
// until it is ready.
func (p *proc) start(bin string) {
	p.t.Helper()
	p.launch(bin)
	require.Eventually(p.t, func() bool {
		return strings.Contains(p.output(), "node "+p.id+": ready") || p.exited()
	}, 30*time.Second, 20*time.Millisecond, "node %s did not get ready", p.id)
	m := listening.FindStringSubmatch(p.output())
	require.False(p.t, p.exited(), "node %s exited:\n%s", p.id, p.output())
	require.NotNil(p.t, m, "node %s:\n%s", p.id, p.output())
	p.raft, p.http = m[1], m[2]
}

// launch starts the process; t.Cleanup kills it.
func (p *proc) launch(bin string) {
	p.t.Helper()
	p.log = filepath.Join(filepath.Dir(p.dir), fmt.Sprintf("%s-%d.log", p.id, time.Now().UnixNano()))
	out, err := os.Create(p.log)
	require.NoError(p.t, err)
	defer out.Close()
	args := append([]string{"-id", p.id, "-dir", p.dir, "-raft", p.raft, "-http", p.http, "-log", "warn"}, p.args...)
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), "HURRAH_TOKEN="+p.token)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	require.NoError(p.t, p.cmd.Start())
	p.waited = make(chan error, 1)
	cmd := p.cmd
	go func() { p.waited <- cmd.Wait() }()
	waited := p.waited
	p.t.Cleanup(func() { _ = cmd.Process.Kill(); <-waited })
}

// output returns what the process has written so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.log) // not created yet: nothing
	return string(b)
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case err := <-p.waited:
		p.waited <- err
		return true
	default:
		return false
	}
}

// kill kills the process with sig and waits for it; it returns Wait's
// error.
func (p *proc) kill(sig syscall.Signal) error {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.waited:
		p.waited <- err
		return err
	case <-time.After(30 * time.Second):
		p.t.Fatalf("node %s did not exit on %v", p.id, sig)
		return nil
	}
}

// client calls nodes' APIs with a token and, if tlsConf is not nil, TLS.
type client struct {
	token string
	tls   *tls.Config
	http  *http.Client
}

func newClient(t *testing.T, token string, tlsConf *tls.Config) *client {
	c := &client{token: token, tls: tlsConf, http: &http.Client{
		Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second,
	}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// do sends a request to the API at addr and returns the status and body.
func (c *client) do(ctx context.Context, method, addr, path, body string) (int, string, error) {
	f := flags{token: c.token}
	if c.tls != nil {
		f.tlsCert = "set"
	}
	code, b, err := call(ctx, c.http, f, method, addr, path, []byte(body))
	return code, string(b), err
}

// status returns the node at addr's /status.
func (c *client) status(t *testing.T, addr string) statusBody {
	t.Helper()
	code, body, err := c.do(t.Context(), "GET", addr, "/status", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)
	var s statusBody
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	return s
}

// tail returns the end of a process's log, for a failure message.
func (p *proc) tail() string {
	out := p.output()
	return out[max(0, len(out)-4000):]
}
