package replica

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// killHelperEnv names the node directory the child of TestKillKeepsAcked
// writes to; without it TestKillHelper does nothing.
const killHelperEnv = "HURRAH_REPLICA_KILL_DIR"

// TestKillHelper is not a test: it is the body of the child process of
// TestKillKeepsAcked. It runs a one-node cluster in the directory the
// environment names (bootstrapping it the first time) and writes from
// eight goroutines, printing "ACK <key>" once each write returns nil,
// until it is killed.
func TestKillHelper(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("helper process body; runs only when re-executed by TestKillKeepsAcked")
	}
	n, err := NewNode(Config{ID: "n1", Cluster: "kill", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	n.Bootstrap(Server{ID: "n1", Addr: "n1"}) // refused after the first run, as it should be
	ctx := context.Background()
	if _, err := n.WaitLeader(ctx); err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	run := os.Getenv("HURRAH_REPLICA_KILL_RUN")
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				k := fmt.Sprintf("r%s-g%d-%d", run, g, i)
				if err := n.SetBytes(ctx, k, []byte(k)); err != nil {
					fmt.Println("ERR", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Println("ACK", k)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute) // the parent kills it long before
	os.Exit(1)
}

// A node process killed with SIGKILL while eight clients write, three
// times over, restarts from its directory with every write it
// acknowledged (a process crash: the page cache survives; raft-boltdb
// fsyncs each append, for power cuts).
func TestKillKeepsAcked(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	for run := range 3 {
		count := 0
		killChild(t, "TestKillHelper", []string{killHelperEnv + "=" + dir, fmt.Sprintf("HURRAH_REPLICA_KILL_RUN=%d", run)},
			acked, func(line string) bool {
				if strings.HasPrefix(line, "ACK ") {
					count++
				}
				return count >= 200*(run+1)
			})
	}
	n, err := NewNode(Config{ID: "n1", Cluster: "kill", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	defer n.Close()
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	_, err = n.GetBytes(context.Background(), "r0-g0-0") // linearizable: the log is applied
	require.NoError(t, err)
	have := contents(t, n)
	for k := range acked {
		require.Equal(t, k, have[k], "acknowledged write %s lost", k)
	}
	t.Logf("%d acknowledged writes, all kept", len(acked))
}

// killChild runs this test binary's helper (a Test function that is a
// child process's body, given env), reads the "ACK <key>" lines it prints
// into acked until enough says so of a line, kills it with SIGKILL, and
// reads what it acknowledged before it died. A line "ERR ..." fails the
// test, and so does a child that ends before enough.
func killChild(t *testing.T, helper string, env []string, acked map[string]bool, enough func(line string) bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	done := false
	for !done && sc.Scan() {
		line := sc.Text()
		require.False(t, strings.HasPrefix(line, "ERR"), line)
		if k, ok := strings.CutPrefix(line, "ACK "); ok {
			acked[k] = true
		}
		done = enough(line)
	}
	require.True(t, done, "the child ended early")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	for sc.Scan() { // what it acknowledged before it died
		if k, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
			acked[k] = true
		}
	}
	cmd.Wait()
}
