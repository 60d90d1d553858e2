package hurrah

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// chain is a State that nests one level deeper with every link: a linked
// list, as a program may well keep.
type chain struct{ Head *link }

type link struct {
	V    int
	Next *link
}

// grow adds N links at the head of the chain. Pad, ignored, makes the
// command itself as deep as a test likes.
type grow struct {
	N   int
	Pad nest
}

func (g grow) Apply(s *chain) error {
	n := s.Head.len()
	for i := range g.N {
		s.Head = &link{V: n + i + 1, Next: s.Head}
	}
	return nil
}

func (l *link) len() int {
	n := 0
	for ; l != nil; l = l.Next {
		n++
	}
	return n
}

func chainLen(t *testing.T, sys *System[chain, grow]) int {
	t.Helper()
	n, err := Query(context.Background(), sys, func(s *chain) int { return s.Head.len() })
	require.NoError(t, err)
	return n
}

// TestSystemDeepState checks that a State nested deeper than 32 levels
// (the CBOR decoder's default limit) survives a snapshot, and a command
// as deep its replay: both used to be written, and every later Open to
// fail with ErrDecode; a command too deep is refused at Commit. A
// State too deep to read back is refused: the snapshot fails with
// ErrEncode, and the store still opens, from its journal.
func TestSystemDeepState(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	sys, err := OpenSystem[chain, grow](dir, nil, nil)
	require.NoError(t, err)
	require.NoError(t, sys.Commit(ctx, grow{N: 100}))
	require.NoError(t, sys.Snapshot(ctx))
	require.NoError(t, sys.Commit(ctx, grow{Pad: nestedDeep(100)}), "a command 100 deep, replayed at Open")
	require.ErrorIs(t, sys.Commit(ctx, grow{Pad: nestedDeep(maxCBORDepth + 1)}), ErrEncode)
	require.NoError(t, sys.Close())

	sys, err = OpenSystem[chain, grow](dir, nil, nil)
	require.NoError(t, err, "the snapshot of a state 100 deep reads back")
	require.Equal(t, 100, chainLen(t, sys))
	require.NoError(t, sys.Commit(ctx, grow{N: maxCBORDepth}))
	require.ErrorIs(t, sys.Snapshot(ctx), ErrEncode)
	require.NoError(t, sys.Close())

	sys, err = OpenSystem[chain, grow](dir, nil, nil)
	require.NoError(t, err, "the refused snapshot left the store as it was")
	require.Equal(t, 100+maxCBORDepth, chainLen(t, sys))
	require.NoError(t, sys.Close())
}
