package journal

import (
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestBuckets checks the histogram's layout: every value falls in a bucket
// whose top is at or above it and at most a quarter above its bottom, and
// the buckets tile the range without a gap.
func TestBuckets(t *testing.T) {
	for i := range histBuckets - 1 {
		top := bucketTop(i)
		require.Equal(t, i, bucketOf(top), "top of bucket %d", i)
		require.Equal(t, i+1, bucketOf(top+1), "after bucket %d", i)
	}
	require.Equal(t, histBuckets-1, bucketOf(math.MaxUint64))
	for _, v := range []uint64{0, 1, 3, 4, 5, 7, 8, 1000, 999_999, 1 << 40, 3<<50 + 12345} {
		i := bucketOf(v)
		require.GreaterOrEqual(t, bucketTop(i), v)
		require.LessOrEqual(t, float64(bucketTop(i)), float64(v)*1.25+1, "value %d", v)
	}
}

// TestSyncStatsQuantiles records a known spread and checks the quantiles
// land in the right buckets, the maximum is exact and the slow ones are
// counted and reported.
func TestSyncStatsQuantiles(t *testing.T) {
	var slow []time.Duration
	s := &syncStats{ev: Events{SlowSync: 50 * time.Millisecond, OnSlowSync: func(f string, d time.Duration) {
		require.Equal(t, "seg", f)
		slow = append(slow, d)
	}}}
	require.Equal(t, SyncStats{}, s.stats())
	for range 98 {
		s.record("seg", time.Millisecond)
	}
	s.record("seg", 60*time.Millisecond)
	s.record("seg", 77*time.Millisecond)
	st := s.stats()
	require.EqualValues(t, 100, st.Count)
	require.EqualValues(t, 2, st.Slow)
	require.Equal(t, []time.Duration{60 * time.Millisecond, 77 * time.Millisecond}, slow)
	require.Equal(t, 77*time.Millisecond, st.Max)
	require.GreaterOrEqual(t, st.P50, time.Millisecond)
	require.LessOrEqual(t, st.P50, 1250*time.Microsecond)
	require.GreaterOrEqual(t, st.P99, 60*time.Millisecond)
	require.LessOrEqual(t, st.P99, 75*time.Millisecond)
}

// TestSyncStatsConcurrent records from several goroutines while another
// reads, for the race detector, and checks nothing is lost.
func TestSyncStatsConcurrent(t *testing.T) {
	s := &syncStats{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				s.record("seg", time.Duration(g*1000+i)*time.Microsecond)
				_ = s.stats()
			}
		})
	}
	wg.Wait()
	st := s.stats()
	require.EqualValues(t, 4000, st.Count)
	require.Equal(t, 3999*time.Microsecond, st.Max)
}

// TestJournalSyncStats checks that a journal times its fsyncs of segments
// (those the syncer makes and the final ones at Close) and calls the hooks:
// OnSlowSync for every fsync at or over the threshold, OnReadOnly once when
// an fsync fails.
func TestJournalSyncStats(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var slowFiles []string
	var readOnly []error
	c := counter{fail: map[vfs.Op]error{vfs.OpSync: vfs.ErrInjected}}
	j := open(t, c.fs(), dir, Options{SyncInterval: quiet, Events: Events{
		SlowSync: time.Nanosecond, // every fsync is slow
		OnSlowSync: func(f string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			slowFiles = append(slowFiles, filepath.Base(f))
		},
		OnReadOnly: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			readOnly = append(readOnly, err)
		},
	}})
	require.Zero(t, j.SyncStats().Count)
	require.NoError(t, put(t, j.Journal, 1, 3, true))
	require.NoError(t, put(t, j.Journal, 4, 5, true))
	st := j.SyncStats()
	require.EqualValues(t, 2, st.Count, "one fsync for each batch that waited for one")
	require.EqualValues(t, 2, st.Slow)
	require.Positive(t, st.Max)
	require.LessOrEqual(t, st.P50, st.P99)
	require.LessOrEqual(t, st.P99, st.Max)

	c.armed.Store(true)
	err := put(t, j.Journal, 6, 6, true)
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, put(t, j.Journal, 7, 7, true), ErrReadOnly)
	require.ErrorIs(t, j.Close(), ErrReadOnly)
	require.EqualValues(t, 3, j.SyncStats().Count, "a failed fsync is counted")

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, readOnly, 1, "OnReadOnly is called once")
	require.Equal(t, err, readOnly[0])
	require.Len(t, slowFiles, 3)
	for _, f := range slowFiles {
		require.Equal(t, filepath.Base(segments(t, dir)[0]), f)
	}
}

// TestJournalSyncStatsQuiet checks that a threshold nothing reaches, and
// no threshold at all, call no hook.
func TestJournalSyncStatsQuiet(t *testing.T) {
	for _, slow := range []time.Duration{0, time.Hour} {
		called := false
		j := open(t, vfs.OS, t.TempDir(), Options{SyncInterval: quiet, Events: Events{
			SlowSync:   slow,
			OnSlowSync: func(string, time.Duration) { called = true },
		}})
		require.NoError(t, put(t, j.Journal, 1, 3, true))
		require.NoError(t, j.Close())
		require.False(t, called)
		require.Positive(t, j.SyncStats().Count)
		require.Zero(t, j.SyncStats().Slow)
	}
}
