package store

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// records yields n records whose bytes live in one buffer, as a snapshot's
// do.
func records(n int) (buf []byte, all func(yield func(k, v []byte) bool)) {
	for i := range n {
		buf = fmt.Appendf(buf, "k%07dv%07d", i, i)
	}
	return buf, func(yield func(k, v []byte) bool) {
		for i := range n {
			r := buf[16*i : 16*i+16 : 16*i+16]
			if !yield(r[:8], r[8:]) {
				return
			}
		}
	}
}

// TestRestoreCopies checks that a restored map keeps copies, not the
// records' bytes, across several of copyChunks' chunks.
func TestRestoreCopies(t *testing.T) {
	n := 2*restoreChunk + 7
	buf, all := records(n)
	kv := NewKV(0)
	require.NoError(t, kv.Restore(n, all))
	clear(buf)
	require.Equal(t, n, kv.size())
	for _, i := range []int{0, restoreChunk, n - 1} {
		v, ok := kv.Get(fmt.Sprintf("k%07d", i))
		require.True(t, ok)
		require.Equal(t, fmt.Sprintf("v%07d", i), string(v))
	}
}

// TestCopyChunksStopsEarly checks that leaving the loop early stops the
// copying goroutine (goleak checks it ended) and that the chunks come in
// order.
func TestCopyChunksStopsEarly(t *testing.T) {
	_, all := records(10 * restoreChunk)
	seen := 0
	withAt := func(yield func(k, v []byte, at int64) bool) {
		all(func(k, v []byte) bool { return yield(k, v, 0) })
	}
	for chunk := range copyChunks(withAt) {
		require.Len(t, chunk, restoreChunk)
		require.Equal(t, fmt.Sprintf("k%07d", seen), chunk[0].key)
		seen += len(chunk)
		if seen == 2*restoreChunk {
			break
		}
	}
	require.Equal(t, 2*restoreChunk, seen)
}
