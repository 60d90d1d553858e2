//go:build unix

package reliability

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A FIFO is a stray only Unix makes. Open blocked reading one named like a
// segment until the journal checked a segment's file type before reading
// it.
func init() {
	strays = append(strays, stray{name: "FIFO named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		p := filepath.Join(dir, segName(newest(segs)+1000))
		require.NoError(t, syscall.Mkfifo(p, 0o644))
		return p
	}})
}
