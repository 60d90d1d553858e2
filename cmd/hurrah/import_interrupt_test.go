//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// walBytes returns the bytes of the journal segments in dir.
func walBytes(t *testing.T, dir string) int64 {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	var n int64
	for _, s := range segs {
		fi, err := os.Stat(s)
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}

// TestImportInterrupt: an interrupt stops an import between lines, closes
// the store cleanly, and says how far it got: the store holds exactly the
// whole batches it names, and -skip resumes from there to the whole
// input. The input comes on standard input: three batches, then (once the
// journal shows a batch written) the interrupt, then one line at a time
// until the import notices it and exits; the input never ends, so the
// import cannot finish instead.
func TestImportInterrupt(t *testing.T) {
	dir := emptyStore(t)
	start := walBytes(t, dir)
	all := jsonLines(5000)
	cmd := exec.Command(bin, "import", dir, "-", "-batch", "10")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	_, err = stdin.Write([]byte(joinLines(all[:30])))
	require.NoError(t, err)

	// Wait (on a condition, not a guess) for a batch in the journal.
	deadline := time.Now().Add(time.Minute)
	for walBytes(t, dir) == start {
		require.True(t, time.Now().Before(deadline), "import never wrote a batch")
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	sent := 30
	var waitErr error
feed:
	for {
		select {
		case waitErr = <-exited:
			break feed
		case <-time.After(10 * time.Millisecond):
			require.Less(t, sent, len(all), "the import never noticed the interrupt")
			if _, err := stdin.Write([]byte(all[sent] + "\n")); err == nil {
				sent++
			}
		}
	}
	stdin.Close()
	require.Error(t, waitErr)
	require.False(t, cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled(), "the interrupt ended the process")
	require.Equal(t, exitError, cmd.ProcessState.ExitCode(), errOut.String())
	m := regexp.MustCompile(`^hurrah import: interrupted: lines 1 to (\d+) are in the store, none after: resume with -skip (\d+)\n$`).
		FindStringSubmatch(errOut.String())
	require.NotNil(t, m, errOut.String())
	require.Equal(t, m[1], m[2])
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 10)
	require.Zero(t, n%10, "whole batches")
	require.Equal(t, joinLines(all[:n]), exportOf(t, dir))

	file := writeInput(t, joinLines(all[:sent]))
	status, _, errOut2 := runT("import", dir, file, "-skip", m[2])
	require.Equal(t, exitOK, status, errOut2)
	require.Equal(t, joinLines(all[:sent]), exportOf(t, dir))
}
