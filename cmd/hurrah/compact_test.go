package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompact(t *testing.T) {
	dir, segs := newStore(t, 60)
	files, size, err := diskUsage(dir)
	require.NoError(t, err)

	status, out, errOut := runT("compact", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	files2, size2, err := diskUsage(dir)
	require.NoError(t, err)
	require.Less(t, files2, files)
	require.Less(t, size2, size)
	got := lines(out)
	require.Len(t, got, 4)
	require.Equal(t, "directory:  "+dir, got[0])
	require.Regexp(t, `^snapshot:   at LSN 60, \d+ bytes$`, got[1])
	require.Equal(t, fmt.Sprintf("before:     %d files, %d bytes (%s)", files, size, sizeText(size)), got[2])
	require.Equal(t, fmt.Sprintf("after:      %d files, %d bytes (%s)", files2, size2, sizeText(size2)), got[3])
	for _, s := range segs {
		require.NoFileExists(t, s, "the journal the snapshot covers is removed")
	}
	requireKeys(t, dir, 60)

	status, out, errOut = runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "restored by opening the store\n")

	// A second compaction replaces the snapshot: one is kept, as a store
	// keeps by default, or as many as -keep says.
	status, _, errOut = runT("compact", dir, "-keep", "2")
	require.Equal(t, exitOK, status, errOut)
	requireKeys(t, dir, 60)
	status, _, errOut = runT("compact", dir, "-keep", "0")
	require.Equal(t, exitError, status)
	require.Equal(t, "hurrah compact: -keep 0: keep from 1 to 1024 snapshots\n", errOut)
}
