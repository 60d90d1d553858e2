//go:build unix

package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// -local 3 starts a cluster that takes the curl lines it prints, and
// Ctrl-C (SIGINT) stops every node: the parent exits cleanly and every
// port is free again.
func TestLocalCluster(t *testing.T) {
	bin := build(t)
	base := freePorts(t, 3)
	var out syncBuffer
	cmd := exec.Command(bin, "-local", "3", "-local-port", fmt.Sprint(base), "-heartbeat", "300ms")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "HURRAH_TOKEN=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its nodes join its group
	require.NoError(t, cmd.Start())
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { // the parent and its nodes, even if the test failed
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-waited
		waited <- nil
	})
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "A cluster of 3 nodes is up") },
		60*time.Second, 20*time.Millisecond, "%s", &out)
	require.Contains(t, out.String(), fmt.Sprintf("curl -X PUT --data-binary 'hello' http://127.0.0.1:%d/key/greeting", base+1))

	c := newClient(t, "", nil)
	code, body, err := c.do(t.Context(), "PUT", fmt.Sprintf("127.0.0.1:%d", base+1), "/key/greeting", "hello")
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, code, body)
	_, body, err = c.do(t.Context(), "GET", fmt.Sprintf("127.0.0.1:%d", base+3), "/key/greeting", "")
	require.NoError(t, err)
	require.Equal(t, "hello", body)
	c.http.CloseIdleConnections()

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	select {
	case err := <-waited:
		require.NoError(t, err, "%s", &out)
		waited <- nil
	case <-time.After(30 * time.Second):
		t.Fatalf("-local did not stop on SIGINT:\n%s", &out)
	}
	for _, port := range []int{base + 1, base + 2, base + 3, base + 101, base + 102, base + 103} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err, "a node still holds port %d", port)
		ln.Close()
	}
}

// freePorts returns a base port such that base+1..base+n and
// base+101..base+100+n are free now.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for range 100 {
		base, free := 20000+rand.IntN(30000), true
		for i := 1; i <= n && free; i++ {
			for _, port := range []int{base + i, base + 100 + i} {
				ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					free = false
					break
				}
				ln.Close()
			}
		}
		if free {
			return base
		}
	}
	t.Fatal("no free ports")
	return 0
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
