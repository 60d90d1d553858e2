package hurrah

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExportSortedKeyExpiresMidway checks that a key whose deadline passes
// while a sorted Export is writing does not cut the export short: every
// key after it, which has no deadline, is still written. The clock moves
// past the deadline at the first Progress call, after the export has
// listed its keys and before it reaches the one with the deadline.
func TestExportSortedKeyExpiresMidway(t *testing.T) {
	ctx := t.Context()
	c := newTestClock()
	db := openT(t, "", c.opts(Options{}))
	const n = 3000
	var b Batch
	for i := range n {
		b.SetBytes(fmt.Sprintf("k%04d", i), []byte("v"))
	}
	require.NoError(t, db.Write(ctx, &b))
	require.NoError(t, db.SetBytes(ctx, "k1500x", []byte("t"), TTL(time.Minute)))
	var buf bytes.Buffer
	moved := false
	rep, err := db.Export(ctx, &buf, &ExportOptions{Progress: func(Progress) {
		if !moved {
			moved = true
			c.add(2 * time.Minute)
		}
	}})
	require.NoError(t, err)
	require.True(t, moved, "no Progress call before the end")
	lines := strings.Count(buf.String(), "\n")
	require.GreaterOrEqual(t, lines, n, "the export stopped at the expired key")
	require.EqualValues(t, lines, rep.Keys)
	require.Contains(t, buf.String(), `"k2999"`)
}
