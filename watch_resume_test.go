package hurrah

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/store"
)

// setN sets n keys, one write each, and returns the LSN of the last.
func setN(t testing.TB, db *DB, prefix string, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, db.SetBytes(context.Background(), fmt.Sprintf("%s%d", prefix, i), []byte(prefix)))
	}
}

func TestWatchStopAndResume(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, nil)
	setN(t, db, "a", 10)
	first, err := collect(t, db.Watch(ctx, 1, nil), 4)
	require.NoError(t, err)
	rest, err := collect(t, db.Watch(ctx, first[len(first)-1].LSN+1, nil), 10)
	require.NoError(t, err)
	requireInOrder(t, append(first, rest...), 1)
	require.Len(t, append(first, rest...), 10)

	// Across a restart: the changes come from the journal on disk.
	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	setN(t, db, "b", 5)
	again, err := collect(t, db.Watch(ctx, 8, nil), 15)
	require.NoError(t, err)
	requireInOrder(t, again, 8)
	require.Len(t, again, 8)
	require.Equal(t, "a9", again[2].Key)
	require.Equal(t, "b4", again[7].Key)
}

// TestWatchFromZero starts after the last write applied when the
// iteration began: it never reports what was written before.
func TestWatchFromZero(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	setN(t, db, "a", 3)
	next, stop := iter.Pull2(db.Watch(ctx, 0, nil))
	defer stop()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		// The watch begins at the first next(): write until it has seen
		// something.
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			default:
			}
			if err := db.SetBytes(ctx, fmt.Sprint("b", i), nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	c, err, ok := next()
	close(quit)
	<-done
	require.True(t, ok)
	require.NoError(t, err)
	require.Greater(t, c.LSN, uint64(3))
	require.Equal(t, byte('b'), c.Key[0])
	require.NoError(t, db.SetBytes(ctx, "c", nil)) // so that a next change exists
	c2, err, _ := next()
	require.NoError(t, err)
	require.Equal(t, c.LSN+1, c2.LSN)
}

// TestWatchFallsBackToDisk lets the ring overwrite what a watcher has not
// read yet: it reads on from the journal and misses nothing.
func TestWatchFallsBackToDisk(t *testing.T) {
	ctx := context.Background()
	logs, logger := newLogged()
	db := openT(t, newDir(t), &Options{Logger: logger})
	setN(t, db, "a", 1)
	next, stop := iter.Pull2(db.Watch(ctx, 1, nil))
	defer stop()
	c, err, _ := next()
	require.NoError(t, err)
	require.EqualValues(t, 1, c.LSN)
	require.Equal(t, 1, db.Stats().Watchers)
	before := db.eng.Fallbacks()
	setN(t, db, "b", store.RingSize+50)
	n := uint64(store.RingSize + 51)
	for want := uint64(2); want <= n; want++ {
		c, err, ok := next()
		require.True(t, ok)
		require.NoError(t, err)
		require.Equal(t, want, c.LSN)
	}
	require.Greater(t, db.eng.Fallbacks(), before, "the ring was overwritten")
	require.Equal(t, db.eng.Fallbacks(), db.Stats().WatchFallbacks)
	lines := logs.lines(msgWatchFallback)
	require.Len(t, lines, 1, "one line for one fall behind, however many reads it takes")
	require.EqualValues(t, 2, lines[0].attrs["lsn"])
	stop()
	require.Zero(t, db.Stats().Watchers)
}

// TestWatchCompacted: a snapshot compacts the journal under a lagging
// watcher, which gets every change up to what is gone and then
// ErrCompacted naming the oldest LSN left.
func TestWatchCompacted(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), &Options{SegmentSize: MinSegmentSize, SnapshotThreshold: -1})
	setN(t, db, "a", 500)
	next, stop := iter.Pull2(db.Watch(ctx, 1, nil))
	defer stop()
	c, err, _ := next()
	require.NoError(t, err)
	require.EqualValues(t, 1, c.LSN)
	require.NoError(t, db.Snapshot(ctx))
	setN(t, db, "b", 10)
	want := uint64(2)
	for {
		c, err, ok := next()
		require.True(t, ok)
		if err != nil {
			var ce *CompactedError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, ErrCompacted)
			require.Equal(t, want, ce.LSN)
			require.EqualValues(t, 501, ce.Oldest, "the snapshot covers 1..500")
			break
		}
		require.Equal(t, want, c.LSN)
		want++
	}
	_, _, ok := next()
	require.False(t, ok, "the error ends the iteration")

	// A new watcher from the oldest LSN left sees the rest.
	got, err := collect(t, db.Watch(ctx, 501, nil), 510)
	require.NoError(t, err)
	requireInOrder(t, got, 501)
	_, err = collect(t, db.Watch(ctx, 500, nil), 510)
	require.ErrorIs(t, err, ErrCompacted)
}

// TestWatchDurableNeverAhead checks, at every change a durable watcher
// gets, that the journal has synced it.
func TestWatchDurableNeverAhead(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), &Options{Durability: Written, SyncInterval: 1 << 62})
	done := make(chan error, 1)
	go func() {
		_, err := collectUntil(db.Watch(ctx, 1, &WatchOptions{Durable: true}), func(c Change) bool {
			if synced := db.snaps.j.SyncedLSN(); c.LSN > synced {
				t.Errorf("change %d reported with only %d synced", c.LSN, synced)
			}
			return c.Key == "end"
		})
		done <- err
	}()
	for i := range 200 {
		setN(t, db, "a", 3)
		if i%10 == 0 {
			require.NoError(t, db.Sync(ctx))
		}
	}
	require.NoError(t, db.SetBytes(ctx, "end", nil))
	require.NoError(t, db.Sync(ctx))
	require.NoError(t, <-done)
}

func TestWatchEnds(t *testing.T) {
	db := openT(t, newDir(t), nil)
	setN(t, db, "a", 2)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := collectUntil(db.Watch(ctx, 1, nil), func(Change) bool { return false })
		errc <- err
	}()
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	go func() {
		_, err := collectUntil(db.Watch(context.Background(), 1, nil), func(Change) bool { return false })
		errc <- err
	}()
	require.NoError(t, db.Close())
	require.ErrorIs(t, <-errc, ErrClosed)
	_, err := collect(t, db.Watch(context.Background(), 1, nil), 1)
	require.ErrorIs(t, err, ErrClosed)
}

func TestWatchMemoryOnly(t *testing.T) {
	db := openT(t, "", nil)
	_, err := collect(t, db.Watch(context.Background(), 0, nil), 1)
	require.ErrorIs(t, err, ErrMemoryOnly)
}

// TestWatchLargeValues: values too large for the ring come from the
// journal, in their place.
func TestWatchLargeValues(t *testing.T) {
	ctx := context.Background()
	logs, logger := newLogged()
	db := openT(t, newDir(t), &Options{Logger: logger})
	next, stop := iter.Pull2(db.Watch(ctx, 1, nil))
	defer stop()
	big := make([]byte, store.RingMaxEntry*3)
	for i := range big {
		big[i] = byte(i)
	}
	require.NoError(t, db.SetBytes(ctx, "first", nil))
	c, err, _ := next() // the watcher is attached from here on
	require.NoError(t, err)
	require.Equal(t, "first", c.Key)
	before := db.eng.Fallbacks()
	require.NoError(t, db.SetBytes(ctx, "small", nil))
	require.NoError(t, db.SetBytes(ctx, "big", big))
	require.NoError(t, db.SetBytes(ctx, "after", nil))
	for _, want := range []string{"small", "big", "after"} {
		c, err, ok := next()
		require.True(t, ok)
		require.NoError(t, err)
		require.Equal(t, want, c.Key)
		if want == "big" {
			require.Equal(t, big, c.Value)
		}
	}
	require.Equal(t, before, db.eng.Fallbacks(), "the big one came from disk, but the watcher never fell behind")
	require.Empty(t, logs.lines(msgWatchFallback))
}
