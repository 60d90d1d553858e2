package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProgressOnTerminal: on a terminal, a command shows what it is
// doing on standard error and clears the line before its report. (Off a
// terminal it shows nothing: every other test requires an empty stderr.)
// script(1) gives the command a terminal; the test is skipped without it.
func TestProgressOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the command a terminal")
	}
	dir := kvStore(t)
	out, err := exec.Command(script, "-q", "-e", "-c", bin+" stats "+dir, "/dev/null").Output()
	require.NoError(t, err)
	s := string(out)
	require.Contains(t, s, "checking "+dir+" (")
	require.Contains(t, s, "opening "+dir+" (")
	report := s[strings.Index(s, "directory:"):]
	require.NotContains(t, report, "opening", "the spinner's line is cleared before the report")
	require.Contains(t, report, "live keys:   8\r\n")
}
