package replica

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// A call larger than MaxBatchBytes joins a round that has room, or
// opens one if the open round is full, and makes the round full: the
// next call opens another. A round passes MaxBatchBytes by one call's
// data at most.
func TestJoinTakesACallLargerThanTheLimit(t *testing.T) {
	n := &node{cfg: Config{MaxBatchBytes: 100}}
	n.rounds.kick = make(chan struct{}, 1)
	n.join(make([]byte, 10), 1)
	n.join(make([]byte, 500), 1) // joins: the round held 10
	n.join(make([]byte, 500), 1) // opens the next
	n.join(make([]byte, 1), 1)   // opens a third
	for i, want := range []int{510, 500, 1} {
		r := n.rounds.take()
		require.Equal(t, want, len(r.entry)-headerRoom, "round %d", i)
	}
	require.Nil(t, n.rounds.take())
}

// On a node whose MaxBatchBytes is smaller than a write, concurrent
// writes larger than it all go through, and entries pass the limit by
// one write at most.
func TestWritesLargerThanMaxBatchBytes(t *testing.T) {
	ctx := context.Background()
	_, tr := raft.NewInmemTransport("m1")
	logs := raft.NewInmemStore()
	n, err := NewNode(Config{ID: "m1", Transport: tr, Raft: testRaft(), LogStore: logs, MaxBatchBytes: 64})
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	require.NoError(t, n.Bootstrap(Server{"m1", "m1"}))
	_, err = n.WaitLeader(ctx)
	require.NoError(t, err)
	require.Eventually(t, n.IsLeader, waitFor, 5*time.Millisecond)
	first := n.Raft().LastIndex() + 1
	value := make([]byte, 200)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() { errs <- n.SetBytes(ctx, string(rune('a'+i)), value) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	last := n.Raft().LastIndex()
	var entry raft.Log
	for i := first; i <= last; i++ {
		require.NoError(t, logs.GetLog(i, &entry))
		if entry.Type == raft.LogCommand {
			require.Less(t, len(entry.Data), 64+200+16+headerRoom+crcSize, "entry %d", i)
		}
	}
}
