package store_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// failure is one call of SnapshotPolicy.OnFail.
type failure struct {
	lsn   uint64
	saved bool
	err   error
}

// TestSnapshotOnFail checks that OnFail hears of a failed save, with its
// LSN, and not of a successful one.
func TestSnapshotOnFail(t *testing.T) {
	var got []failure // appended in the owner goroutine, read after Close
	f := newFakeSnaps(false)
	e := startSnapEngine(store.NewKV(0), newAutoSink(), f, store.SnapshotPolicy{
		OnFail: func(lsn uint64, saved bool, err error) { got = append(got, failure{lsn, saved, err}) },
	}, actor.Options{})
	mustUpdate(t, e, set("a", "1"), store.AckApplied)
	require.NoError(t, e.Snapshot(t.Context()))
	mustUpdate(t, e, set("b", "1"), store.AckApplied)
	f.setFail(errBoom)
	require.ErrorIs(t, e.Snapshot(t.Context()), errBoom)
	require.NoError(t, e.Close())
	require.Len(t, got, 1)
	require.Equal(t, uint64(2), got[0].lsn)
	require.False(t, got[0].saved)
	require.ErrorIs(t, got[0].err, errBoom)
}

// TestSnapshotOnFailNotAtClose closes the engine while a save is blocked:
// the save is abandoned, which is no failure to report. Its end reaches
// the owner before the final drain, or is refused after it (then the
// owner never sees it): the test cannot choose which, and holds for both.
func TestSnapshotOnFailNotAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []failure
		f := newFakeSnaps(true)
		e := startSnapEngine(store.NewKV(0), newAutoSink(), f, store.SnapshotPolicy{
			OnFail: func(lsn uint64, saved bool, err error) { got = append(got, failure{lsn, saved, err}) },
		}, actor.Options{})
		mustUpdate(t, e, set("a", "1"), store.AckApplied)
		first := async(func() error { return e.Snapshot(context.Background()) })
		recv(t, f.entered, "the save")
		require.NoError(t, e.Close())
		require.ErrorIs(t, recv(t, first, "the Snapshot"), store.ErrClosed)
		require.Empty(t, got)
		require.EqualValues(t, 0, e.Stats().Snapshots)
	})
}
