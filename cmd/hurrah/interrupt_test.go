//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRestoreInterrupt: an interrupt while restore runs removes what it
// wrote, rather than ending the process with the temporary snapshot in
// place. The backup comes on standard input, all but its last bytes, so
// that restore is waiting for them, its snapshot file begun, when the
// interrupt comes; then the input ends. Whichever restore notices first
// (the interrupt, or the backup cut short), it exits on its own, one
// sentence, and DIR is gone.
func TestRestoreInterrupt(t *testing.T) {
	good, err := os.ReadFile(backupT(t, kvStore(t)))
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "restored")
	cmd := exec.Command(bin, "restore", "-", dir)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	require.NoError(t, cmd.Start())
	_, err = stdin.Write(good[:len(good)-10])
	require.NoError(t, err)

	// Wait (on a condition, not a guess) for the snapshot file to be begun.
	deadline := time.Now().Add(time.Minute)
	for {
		tmps, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
		require.NoError(t, err)
		if len(tmps) > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "restore never began its snapshot file")
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, stdin.Close())
	err = cmd.Wait()
	require.False(t, cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled(), "the interrupt ended the process")
	require.Error(t, err)
	require.Contains(t, []int{exitDamaged, exitError}, cmd.ProcessState.ExitCode(), errOut.String())
	require.Regexp(t, `^hurrah restore: (interrupted: nothing was restored in |the backup is damaged or truncated: .*; nothing was restored in )`+
		regexp.QuoteMeta(dir)+"\n$", errOut.String())
	require.NoDirExists(t, dir)
}
