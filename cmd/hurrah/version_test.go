package main

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNewerFormat: a segment of a newer format version is refused by
// every command that reads segments, in one sentence, changing nothing. The header is
// rewritten by its offsets, as journal/format.go draws them: the version
// at 8, the CRC32C of bytes 0 to 28 at 28.
func TestNewerFormat(t *testing.T) {
	dir, segs := newStore(t, 60)
	b, err := os.ReadFile(segs[0])
	require.NoError(t, err)
	le := binary.LittleEndian
	le.PutUint32(b[8:12], le.Uint32(b[8:12])+1)
	le.PutUint32(b[28:32], crc32.Checksum(b[:28], crc32.MakeTable(crc32.Castagnoli)))
	require.NoError(t, os.WriteFile(segs[0], b, 0o600))
	before := image(t, dir)
	for cmd, more := range storeCommands {
		if cmd == "prune" {
			continue // it reads snapshots only
		}
		status, out, errOut := runT(append([]string{cmd, dir}, more...)...)
		require.Equal(t, exitError, status, "%s: %s", cmd, errOut)
		require.Empty(t, out, cmd)
		require.Regexp(t, `^hurrah `+cmd+`: `+dir+` holds files of a newer format than this hurrah reads \([^\n]*version 2[^\n]*\); use a newer hurrah\n$`, errOut)
	}
	require.Equal(t, before, image(t, dir))
}
