package hurrah

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// sweepErr returns the error the sweep injects into operation i: writes
// fail in turn with EIO, ENOSPC and a short write (half the buffer written),
// every other operation with EIO or ENOSPC.
func sweepErr(i int) func(vfs.Op) error {
	return func(op vfs.Op) error {
		if op == vfs.OpWrite {
			return []error{vfs.EIO, vfs.ENOSPC, vfs.ShortWrite}[i%3]
		}
		return []error{vfs.EIO, vfs.ENOSPC}[i%2]
	}
}

// TestIOErrorSweep runs a workload (two sessions with a reopen between
// them, segment rotations, Syncs and Closes) failing its i-th file
// operation, for every i until the workload completes, once with an error
// that heals at once and once with one that lasts. Each time:
//
//   - the error reaches the caller: some call of the workload returns an
//     error wrapping it;
//   - a store whose write or Sync failed refuses every later write and Sync
//     with ErrReadOnly, even after the fault healed, and keeps serving reads;
//   - reopening the directory, as the process restarting would, gives the
//     state after a prefix of the workload holding every acknowledged write;
//   - so does a power loss right after the failure (only synced data kept),
//     holding every write the level promised to keep.
func TestIOErrorSweep(t *testing.T) {
	n := 45
	if harnessLong() {
		n = 150
	}
	var mu sync.Mutex
	var points, failedCalls int
	byCall := map[string]int{}
	for _, level := range []Durability{Synced, Written, Buffered} {
		for _, lasting := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/lasting=%v", level, lasting), func(t *testing.T) {
				t.Parallel()
				p := newPlan(uint64(level)+10, n)
				for i := 1; ; i++ {
					call, done := sweepPoint(t, p, level, i, lasting)
					if done {
						require.Greater(t, i, 20, "the run ended early")
						break
					}
					mu.Lock()
					points++
					failedCalls++
					byCall[call]++
					mu.Unlock()
				}
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: I/O errors: %d injection points (3 levels x one-off and lasting), the error reached the caller at all %d, 0 acknowledged writes lost; failing calls: %v",
				points, failedCalls, byCall)
		}
	})
}

// sweepPoint runs p failing file operation i and checks the outcome. It
// returns the kind of call that reported the error, or done if the run made
// fewer than i operations.
func sweepPoint(t *testing.T, p plan, level Durability, i int, lasting bool) (call string, done bool) {
	t.Helper()
	ctx := context.Background()
	m := vfs.NewMem()
	in := &vfs.Injector{At: i, Lasting: lasting, Err: sweepErr(i)}
	fsys := &vfs.Faulty{FS: m, Inject: in.Inject}
	var pr progress
	r := runPlan(p, fsys, level, &pr)
	where := fmt.Sprintf("fault %d (%s, lasting=%v)", i, in.Failed(), lasting)
	if in.Failed() == "" {
		require.NoError(t, r.err, where)
		return "", true
	}

	// The error reached the caller.
	require.Error(t, r.err, "%s: no call reported the fault", where)
	require.ErrorIs(t, r.err, vfs.ErrInjected, "%s: %s returned an error that hides the cause", where, r.call)

	if r.db != nil {
		// A failed write or fsync is sticky: nothing is retried and
		// acknowledged, even when the fault has healed.
		require.ErrorIs(t, r.err, ErrReadOnly, "%s: %s", where, r.call)
		require.ErrorIs(t, r.db.SetBytes(ctx, "after-fault", []byte("x")), ErrReadOnly, where)
		_, err := r.db.Delete(ctx, "k1")
		require.ErrorIs(t, err, ErrReadOnly, where)
		require.ErrorIs(t, r.db.Sync(ctx), ErrReadOnly, where)
		_, err = r.db.Len(ctx) // reads keep working
		require.NoError(t, err, where)
		require.Error(t, r.db.Close(), "%s: Close reports the failure", where)
	}

	// A power loss now keeps what the level promised.
	lo, hi := pr.durable.Load(), pr.issued.Load()
	requirePrefix(t, p, m.Crash(vfs.CrashOptions{}), lo, hi)
	if t.Failed() {
		t.Fatalf("power loss after %s", where)
	}
	// A restart (the page cache survives) keeps every acknowledged write
	// at Written and Synced, and what a Sync covered at Buffered.
	if level != Buffered {
		lo = pr.acked.Load()
	}
	requirePrefix(t, p, m, lo, hi)
	if t.Failed() {
		t.Fatalf("reopen after %s", where)
	}
	return callKind(r.call), false
}

// callKind returns the name of a call without its operation number.
func callKind(call string) string {
	kind, _, _ := strings.Cut(call, " ")
	return kind
}
