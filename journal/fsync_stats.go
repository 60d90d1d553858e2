package journal

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Timing the journal's fsyncs of its segments, for Stats, and the rare
// events the journal reports to its user (Events).
//
// The latencies go in a histogram of fixed, log-scale buckets: four per
// power of two of nanoseconds, so a quantile read from it is at most a
// quarter above the true one, and its memory is fixed (252 counters) however
// long the journal runs. It is written here by hand because none of the
// libraries the project may depend on has one (golang.org/x/exp has none;
// HdrHistogram and the Prometheus client are dependencies a user of the
// plain store would download), and this one is forty lines. fsyncs take
// milliseconds, so the atomic adds that record one cost nothing that shows.

// Events are hooks for the journal's rare events. They run on the journal's
// own goroutines: they must not block for long, and must not call the
// Journal. Nil hooks are not called.
type Events struct {
	// SlowSync is the fsync duration from which OnSlowSync is called.
	// Zero or negative: never.
	SlowSync time.Duration
	// OnSlowSync is called with the segment's name and the duration of
	// each fsync of a segment that took SlowSync or longer.
	OnSlowSync func(file string, d time.Duration)
	// OnReadOnly is called once, with the failure, when the journal turns
	// read-only.
	OnReadOnly func(err error)
}

// SyncStats describes the fsyncs of segments the journal has made since
// Open (those of directories are not counted).
type SyncStats struct {
	Count uint64        // fsyncs made, failed ones included
	Slow  uint64        // those that took Events.SlowSync or longer
	P50   time.Duration // median latency, to within a quarter above
	P99   time.Duration // 99th percentile, to within a quarter above
	Max   time.Duration // the longest, exactly
}

// The histogram's layout: values below 4ns have a bucket each; above,
// every power of two [2^e, 2^(e+1)) is cut into four equal buckets.
const (
	subBits     = 2
	subBuckets  = 1 << subBits
	histBuckets = subBuckets + (64-subBits)*subBuckets
)

// syncStats times fsyncs. Its fields are atomics written by the syncer and
// the actor goroutine and read by any, except ev, which Open sets before
// either starts.
type syncStats struct {
	ev      Events
	buckets [histBuckets]atomic.Uint64
	count   atomic.Uint64
	slow    atomic.Uint64
	max     atomic.Int64
}

// sync fsyncs f and records how long it took.
func (s *syncStats) sync(f vfs.File) error {
	t0 := time.Now()
	err := f.Sync()
	s.record(f.Name(), time.Since(t0))
	return err
}

// record adds one fsync of file that took d.
func (s *syncStats) record(file string, d time.Duration) {
	d = max(d, 0)
	s.buckets[bucketOf(uint64(d))].Add(1)
	s.count.Add(1)
	for m := s.max.Load(); int64(d) > m && !s.max.CompareAndSwap(m, int64(d)); m = s.max.Load() {
	}
	if s.ev.SlowSync > 0 && d >= s.ev.SlowSync {
		s.slow.Add(1)
		if s.ev.OnSlowSync != nil {
			s.ev.OnSlowSync(file, d)
		}
	}
}

// bucketOf returns the bucket that holds v nanoseconds.
func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	e := bits.Len64(v) - 1 // v is in [2^e, 2^(e+1)), e >= subBits
	sub := int(v>>(e-subBits)) & (subBuckets - 1)
	return subBuckets + (e-subBits)*subBuckets + sub
}

// bucketTop returns the largest value bucket i holds.
func bucketTop(i int) uint64 {
	if i < subBuckets {
		return uint64(i)
	}
	e := (i-subBuckets)/subBuckets + subBits
	sub := uint64((i - subBuckets) % subBuckets)
	return (subBuckets+sub+1)<<(e-subBits) - 1
}

// stats summarizes what was recorded. Recording may go on meanwhile: the
// figures are then from about the same moment, not one instant.
func (s *syncStats) stats() SyncStats {
	var counts [histBuckets]uint64
	var n uint64
	for i := range s.buckets {
		counts[i] = s.buckets[i].Load()
		n += counts[i]
	}
	mx := time.Duration(s.max.Load())
	st := SyncStats{Count: s.count.Load(), Slow: s.slow.Load(), Max: mx}
	st.P50 = min(quantile(&counts, n, 50), mx)
	st.P99 = min(quantile(&counts, n, 99), mx)
	return st
}

// quantile returns the top of the bucket that holds the pct-th percentile
// of the n values counted, or 0 if n is 0.
func quantile(counts *[histBuckets]uint64, n uint64, pct uint64) time.Duration {
	if n == 0 {
		return 0
	}
	rank := (n*pct + 99) / 100 // the rank-th smallest value, from 1
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketTop(i), 1<<63-1))
		}
	}
	return 0
}

// SyncStats reports the journal's fsyncs of segments since Open. It is
// cheap and safe from any goroutine, even after Close.
func (j *Journal) SyncStats() SyncStats { return j.w.sy.st.stats() }
