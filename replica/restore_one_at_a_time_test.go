package replica

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// firstReadAfter records, at its first Read, whether flag was set.
type firstReadAfter struct {
	r     io.Reader
	flag  *atomic.Bool
	read  bool
	after bool
}

func (f *firstReadAfter) Read(p []byte) (int, error) {
	if !f.read {
		f.read, f.after = true, f.flag.Load()
	}
	return f.r.Read(p)
}

// Restores on one node run one at a time: a second reads nothing of its
// backup while the first spools its own, and returns its ctx's error if
// that ends while it waits; once the first is done, the second runs, and
// its state is the one left.
func TestRestoresOneAtATime(t *testing.T) {
	a, _, _ := backupOf(t, "a", 5)
	b, wantB, _ := backupOf(t, "b", 7)
	c := newCluster(t, 1, nil)
	l := c.leader()

	pr, pw := io.Pipe()
	first := make(chan error, 1)
	go func() { first <- l.Restore(context.Background(), pr) }()
	_, err := pw.Write(a[:1]) // taken: the first is spooling, and holds its turn
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() { waiting <- l.Restore(ctx, bytes.NewReader(b)) }()
	cancel()
	require.ErrorIs(t, <-waiting, context.Canceled)

	var firstSpooled atomic.Bool
	second := &firstReadAfter{r: bytes.NewReader(b), flag: &firstSpooled}
	done := make(chan error, 1)
	go func() { done <- l.Restore(context.Background(), second) }()
	_, err = pw.Write(a[1:])
	require.NoError(t, err)
	firstSpooled.Store(true)
	require.NoError(t, pw.Close())
	require.NoError(t, <-first)
	require.NoError(t, <-done)
	require.True(t, second.after, "the second read its backup while the first was spooling")
	require.Equal(t, wantB, contents(t, l))
}
