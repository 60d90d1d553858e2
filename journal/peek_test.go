package journal

import (
	"testing"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/stretchr/testify/require"
)

// TestOpenPeek checks Options.Peek: across segments, and with From
// skipping the first entries, every entry replay gets was shown to Peek
// before, in runs of at most PeekRun consecutive entries of one segment,
// and Peek is shown no entry that replay does not get.
func TestOpenPeek(t *testing.T) {
	dir := t.TempDir()
	j := open(t, vfs.OS, dir, Options{SegmentSize: 1 << 10})
	for first := uint64(1); first <= 200; first += 10 {
		require.NoError(t, put(t, j.Journal, first, first+9, false))
	}
	require.NoError(t, j.Close())
	require.Greater(t, len(segments(t, dir)), 2)

	peeked := map[uint64]bool{}
	var replayed []uint64
	j2, _, err := Open(vfs.OS, dir, Options{From: 45, Peek: func(es []handoff.Entry) {
		require.NotEmpty(t, es)
		require.LessOrEqual(t, len(es), PeekRun)
		for i, e := range es {
			require.Equal(t, es[0].LSN+uint64(i), e.LSN)
			require.Equal(t, payload(e.LSN), e.Data)
			require.False(t, peeked[e.LSN], "LSN %d shown twice", e.LSN)
			peeked[e.LSN] = true
		}
	}}, func(e handoff.Entry) error {
		require.True(t, peeked[e.LSN], "LSN %d replayed before Peek saw it", e.LSN)
		replayed = append(replayed, e.LSN)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, j2.Close())
	require.Len(t, replayed, 155)
	require.Len(t, peeked, 155)
	require.Equal(t, uint64(46), replayed[0])
}
