package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// sweepErr returns the Injector.Err for fault i of the sweep: writes fail in
// turn with EIO, ENOSPC and a short write (half the buffer written), every
// other operation with EIO or ENOSPC. A failed fsync at an odd i also makes
// m forget the file's unsynced data, as Linux may after an fsync fails
// (it marks the dirty pages clean); it sets lost when it does.
func sweepErr(i int, m *vfs.Mem, lost *atomic.Bool) func(vfs.Op, string) error {
	return func(op vfs.Op, name string) error {
		switch op {
		case vfs.OpWrite:
			return []error{vfs.EIO, vfs.ENOSPC, vfs.ShortWrite}[i%3]
		case vfs.OpSync:
			// Only the journal's data matters to what must survive: a
			// snapshot whose fsync failed is given up.
			if i%2 == 1 && m.LoseUnsynced(name) == nil && isWAL(name) {
				lost.Store(true)
			}
		}
		return []error{vfs.EIO, vfs.ENOSPC}[i%2]
	}
}

// TestIOErrorSweep runs a workload (two sessions with a reopen between
// them, segment rotations, Syncs, Snapshots with the segment removal and
// pruning they do, automatic snapshots, and Closes) failing its i-th file
// operation, for every i until the workload completes, once with an error
// that heals at once and once with one that lasts. Each time:
//
//   - the error reaches the caller: some call of the workload returns an
//     error wrapping it, or, for an automatic snapshot, Stats reports it;
//   - a snapshot that failed while the journal did not leaves the store
//     writable: after a fault that healed, the rest of the workload runs;
//   - a store whose write or Sync failed (or a Snapshot, because the journal
//     did) refuses every later write and Sync with ErrReadOnly, even after
//     the fault healed, and keeps serving reads;
//   - a power loss right after the failure (only synced data kept, or a
//     random part of the rest, torn or not) keeps every write the level
//     promised;
//   - reopening the directory, as the process restarting would, gives the
//     state after a prefix of the workload holding every acknowledged write
//     (unless a failed fsync made the page cache forget it: then every
//     write a Sync covered), and that restart makes what it recovered
//     durable before it writes anything more.
func TestIOErrorSweep(t *testing.T) {
	n := 30
	if harnessLong() {
		n = 150
	}
	var mu sync.Mutex
	var points int
	byCall := map[string]int{}
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written, hurrah.Buffered} {
		for _, lasting := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/lasting=%v", level, lasting), func(t *testing.T) {
				t.Parallel()
				p := crashPlan(level, uint64(level)+10, n)
				ops := countOps(t, p, level)
				// As in TestCrashPoints, go on to the most countOps saw,
				// past runs that end before the point.
				i, short := 1, 0
				for ; ; i++ {
					call, done := sweepPoint(t, p, level, i, lasting)
					if done {
						if i <= ops {
							short++
							continue
						}
						break
					}
					mu.Lock()
					points++
					byCall[call]++
					mu.Unlock()
				}
				require.LessOrEqual(t, short, ops/4, "runs that ended before the point: most should not")
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: I/O errors: %d injection points (3 levels x one-off and lasting), the error reached a caller at every one, 0 acknowledged writes lost; calls that reported it (snapshot: a Snapshot the journal failed; snapshot-alone: one that failed alone, the store writable; auto-snapshot: through Stats): %v",
				points, byCall)
		}
	})
}

// sweepPoint runs p failing file operation i and checks the outcome. It
// returns the kind of call that reported the error, or done if the run made
// fewer than i operations.
func sweepPoint(t *testing.T, p plan, level hurrah.Durability, i int, lasting bool) (call string, done bool) {
	t.Helper()
	ctx := context.Background()
	m := vfs.NewMem()
	var lost atomic.Bool
	in := &vfs.Injector{At: i, Lasting: lasting, Err: sweepErr(i, m, &lost)}
	var pr progress
	r := runPlan(p, &vfs.Faulty{FS: m, Inject: in.Inject}, level, &pr)
	if in.Failed() == "" {
		require.NoError(t, r.err, "a run without a fault fails")
		require.NoError(t, r.snapErr, "a run without a fault fails a snapshot (%s)", r.snapCall)
		return "", true
	}
	where := fmt.Sprintf("fault %d (%s, lasting=%v)", i, in.Failed(), lasting)

	// The error reached the caller: the first to report it is a snapshot
	// that failed on its own, if any, or else the call the run stopped at.
	first, firstCall := r.err, r.call
	if r.snapErr != nil {
		first, firstCall = r.snapErr, r.snapCall
	}
	require.Error(t, first, "%s: no call reported the fault", where)
	require.ErrorIs(t, first, vfs.ErrInjected, "%s: %s returned an error that hides the cause", where, firstCall)
	if r.snapErr != nil {
		require.NotErrorIs(t, r.snapErr, hurrah.ErrReadOnly, where)
		if !lasting {
			// The snapshot's failure left the store writable: the rest
			// of the workload ran.
			require.NoError(t, r.err, "%s: after %s failed (%v), %s failed", where, r.snapCall, r.snapErr, r.call)
		}
	}

	// A power loss right now keeps what the level promised.
	durable, acked, issued := pr.durable.Load(), pr.acked.Load(), pr.issued.Load()
	rr := rand.New(rand.NewPCG(uint64(i), uint64(level)))
	for _, mode := range crashModes {
		requirePrefix(t, p, m.Crash(mode.options(rr)), durable, issued, fmt.Sprintf("%s and a power loss (%s)", where, mode.name))
	}

	if r.db != nil {
		// A failed write or fsync is sticky: nothing is retried and
		// acknowledged, even when the fault has healed.
		require.ErrorIs(t, r.err, hurrah.ErrReadOnly, "%s: %s", where, r.call)
		for name, call := range map[string]func() error{
			"SetBytes": func() error { return r.db.SetBytes(ctx, "after-fault", []byte("x")) },
			"Delete":   func() error { _, err := r.db.Delete(ctx, "k1"); return err },
			"Clear":    func() error { return r.db.Clear(ctx) },
			"CAS":      func() error { _, err := r.db.CompareAndSwapBytes(ctx, "k1", nil, []byte("x")); return err },
			"Sync":     func() error { return r.db.Sync(ctx) },
		} {
			require.ErrorIs(t, call(), hurrah.ErrReadOnly, "%s: %s after the fault", where, name)
		}
		// Reads keep working.
		_, err := r.db.Len(ctx)
		require.NoError(t, err, where)
		_, err = r.db.Has(ctx, "k1")
		require.NoError(t, err, where)
		require.Error(t, r.db.Close(), "%s: Close reports the failure", where)
	}

	// A restart (the page cache survives) keeps every acknowledged write
	// at Written and Synced, unless a failed fsync made the cache forget
	// it, and what a Sync covered at Buffered.
	lo := acked
	if level == hurrah.Buffered || lost.Load() { // every goroutine that could set it has ended
		lo = durable
	}
	restartThenPowerLoss(t, p, m, lo, issued, rr, where)
	kind, _, _ := strings.Cut(firstCall, " ")
	return kind, false
}
