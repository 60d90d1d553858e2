package replica

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// A snapshot freezes the state without stopping the owner: after
// Snapshot, and while Persist is blocked writing it, writes and a
// linearizable read go through; the snapshot, once let go, holds the
// state at Snapshot, from before those writes.
func TestSnapshotPersistLeavesOwnerRunning(t *testing.T) {
	c := newCluster(t, 1, nil)
	l := c.leader()
	want := c.setKeys("k", 20)
	snap, err := l.fsm.Snapshot()
	require.NoError(t, err)
	defer snap.Release()
	// Bounded, so that a stopped owner fails the test rather than hangs it.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	require.NoError(t, l.SetBytes(ctx, "k1", []byte("before Persist")))
	sink := &blockingSink{started: make(chan struct{}), release: make(chan struct{})}
	persisted := make(chan error, 1)
	go func() { persisted <- snap.Persist(sink) }()
	<-sink.started
	released := false
	defer func() {
		if !released { // a failed check: let Persist end
			close(sink.release)
			<-persisted
		}
	}()

	require.NoError(t, l.SetBytes(ctx, "k0", []byte("after")))
	require.NoError(t, l.SetBytes(ctx, "new", []byte("after")))
	got, err := l.GetBytes(ctx, "new") // linearizable
	require.NoError(t, err)
	require.Equal(t, "after", string(got))

	close(sink.release)
	released = true
	require.NoError(t, <-persisted)
	require.True(t, sink.closed)
	f := newTestFSM(t)
	require.NoError(t, f.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))))
	require.Equal(t, want, fsmContents(t, f), "the snapshot holds the state at Snapshot")
}
