//go:build unix

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// -local 3 -bench measures the cluster it starts (writes, linearizable
// and stale reads, every call answered), prints the figures, and stops
// every node: the command exits cleanly and every port is free again.
func TestLocalBench(t *testing.T) {
	bin := build(t)
	base := freePorts(t, 3)
	cmd := exec.Command(bin, "-local", "3", "-local-port", fmt.Sprint(base), "-heartbeat", "300ms",
		"-bench", "300ms", "-bench-clients", "4")
	cmd.Env = append(os.Environ(), "HURRAH_TOKEN=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "3 nodes (processes), leader n")
	for _, phase := range []string{"writes", "linearizable reads", "stale reads"} {
		m := regexp.MustCompile(phase + ` +\d+ /s  \((\d+) calls, 0 failed\)`).FindSubmatch(out)
		require.NotNil(t, m, "%s: %s", phase, out)
		n, err := strconv.Atoi(string(m[1]))
		require.NoError(t, err)
		require.Positive(t, n, phase)
	}
	for _, port := range []int{base + 1, base + 2, base + 3, base + 101, base + 102, base + 103} {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err, "a node still holds port %d", port)
		ln.Close()
	}
}
