package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/journal"
)

// TestHelp: help lists every command in the table and every exit status,
// and so does the package doc.
func TestHelp(t *testing.T) {
	status, out, errOut := runT("help")
	require.Equal(t, exitOK, status, errOut)
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	for name, c := range commands {
		require.Contains(t, string(readme), "| `"+c.synopsis()+"` | ", "README's table lists %s", name)
		require.Contains(t, out, "  "+c.synopsis()+" ", name)
		require.Contains(t, string(doc), "\thurrah "+name, "doc.go lists %s", name)
		status, cout, errOut := runT("help", name)
		require.Equal(t, exitOK, status, errOut)
		require.Contains(t, cout, "usage: "+c.synopsis()+"\n")
		require.Contains(t, cout, "exit status: "+c.exits+"\n")
	}
	for _, code := range []int{exitOK, exitDamaged, exitError, exitNotFound} {
		require.Contains(t, out, fmt.Sprintf("\n  %d  ", code))
		require.Contains(t, string(doc), fmt.Sprintf("\n//   - %d: ", code), "doc.go documents exit status %d", code)
	}

	status, out, errOut = runT()
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.True(t, strings.HasPrefix(errOut, "usage: hurrah COMMAND"))

	status, out, errOut = runT("help", "bogus")
	require.Equal(t, exitError, status)
	require.Empty(t, out)
	require.Equal(t, "hurrah help: unknown command \"bogus\" (hurrah help lists them)\n", errOut)

	status, _, errOut = runT("prune", "-h")
	require.Equal(t, exitOK, status)
	require.Contains(t, errOut, "-keep int")
}

func TestVersion(t *testing.T) {
	status, out, errOut := runT("version")
	require.Equal(t, exitOK, status, errOut)
	require.Regexp(t, `^hurrah \S+ \(module github.com/hurrahdb/hurrah, .*built with go1\.\d+`, out)
	want := map[string]int{}
	for _, f := range journal.Formats() {
		require.Contains(t, out, fmt.Sprintf("%s format version %d", f.Name, f.Version))
		want[f.Name] = f.Version
	}
	require.Len(t, want, 3, "segment, snapshot and backup")

	status, out, errOut = runT("version", "-json")
	require.Equal(t, exitOK, status, errOut)
	var v versionInfo
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Equal(t, "github.com/hurrahdb/hurrah", v.Module)
	require.NotEmpty(t, v.Version)
	require.Equal(t, want, v.Formats)

	status, _, _ = runT("version", "extra")
	require.Equal(t, exitError, status)
}
