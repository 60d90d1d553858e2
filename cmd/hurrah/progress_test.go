package main

import (
	"os/exec"
	"path/filepath"
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

// TestBackupProgressOnTerminal: backup and restore show a bar on a
// terminal, cleared before the report, and refuse to write a backup to
// standard output, or read one from standard input, that is a terminal.
func TestBackupProgressOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give the command a terminal")
	}
	dir := kvStore(t)
	file := filepath.Join(t.TempDir(), "b.hbak")
	to := filepath.Join(t.TempDir(), "restored")
	for _, c := range []struct{ args, shows, report string }{
		{"backup " + dir + " " + file, "backing up " + dir, "records:    8\r\n"},
		{"restore " + file + " " + to, "restoring " + to, "records:    8\r\n"},
	} {
		out, err := exec.Command(script, "-q", "-e", "-c", bin+" "+c.args, "/dev/null").Output()
		require.NoError(t, err, "%s", out)
		s := string(out)
		require.Contains(t, s, c.shows)
		require.Contains(t, s, "/8)", "a bar over the 8 records")
		report := s[strings.Index(s, "directory:"):]
		require.NotContains(t, report, c.shows, "the bar's line is cleared before the report")
		require.Contains(t, report, c.report)
	}
	for args, want := range map[string]string{
		"backup " + dir + " -":  "hurrah backup: standard output is a terminal: redirect it to a file, or give a FILE\r\n",
		"restore - " + to + "2": "hurrah restore: standard input is a terminal: redirect a backup to it, or give a FILE\r\n",
	} {
		out, err := exec.Command(script, "-q", "-e", "-c", bin+" "+args, "/dev/null").Output()
		require.Error(t, err)
		require.Equal(t, want, string(out))
	}
	require.NoDirExists(t, to+"2")
}
