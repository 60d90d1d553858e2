package reliability

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The check after a fault: what a directory holds afterwards is exactly
// the state after some prefix of a plan that contains every write the
// level promised to keep.

// requirePrefix opens the store on fsys and fails unless it holds the state
// after the first n operations of p for some n in [lo, hi]: every write
// that had to survive is there, nothing is reordered or half applied, and
// anything more is the next few operations in order. It returns n and what
// Open recovered, and leaves the store closed. where says what happened
// before, for the failure message.
func requirePrefix(t testing.TB, p plan, fsys vfs.FS, lo, hi int64, where string) (int, hurrah.Recovery) {
	t.Helper()
	db, err := hurrah.Open(harnessDir, smallSegments(fsys))
	require.NoError(t, err, "reopen after %s", where)
	defer db.Close()
	n := requireMatch(t, p, storeContents(t, db), lo, hi, fmt.Sprintf("%s (recovery %+v)", where, db.Recovery()))
	require.NoError(t, db.Close(), where)
	return n, db.Recovery()
}

// requireMatch fails unless got is the state after the first n operations
// of p for some n in [lo, hi], and returns n.
func requireMatch(t testing.TB, p plan, got map[string]string, lo, hi int64, where string) int {
	t.Helper()
	hi = min(hi, int64(len(p.ops)))
	for n := lo; n <= hi; n++ {
		if maps.Equal(got, p.state(int(n))) {
			return int(n)
		}
	}
	require.Failf(t, "recovered state is no prefix of the plan",
		"after %s: want the state after %d to %d operations; got keys %v",
		where, lo, hi, slices.Sorted(maps.Keys(got)))
	return 0
}

// restartThenPowerLoss checks a process restart followed by a power loss.
// live is the file system as the process left it, page cache and all: the
// store opened on it must hold a prefix of p between lo and hi. A Synced
// write is then made and the power cut with the store still open, keeping
// only what was synced, and again keeping a random, torn part of the rest.
// What comes back must each time be exactly that prefix and the write: the
// restart made all it recovered durable before it wrote anything that says
// so.
func restartThenPowerLoss(t testing.TB, p plan, live *vfs.Mem, lo, hi int64, r *rand.Rand, where string) {
	t.Helper()
	where = "a restart after " + where
	db, err := hurrah.Open(harnessDir, withFS(&hurrah.Options{Durability: hurrah.Synced, SegmentSize: hurrah.MinSegmentSize}, live))
	require.NoError(t, err, where)
	n := requireMatch(t, p, storeContents(t, db), lo, hi, where)
	require.NoError(t, db.SetBytes(context.Background(), "after-restart", []byte(where)), where)
	imgs := []*vfs.Mem{live.Crash(vfs.CrashOptions{}), live.Crash(vfs.CrashOptions{Rand: r, Tear: true})}
	require.NoError(t, db.Close(), where)

	want := p.state(n)
	want["after-restart"] = where
	for _, img := range imgs {
		db, err = hurrah.Open(harnessDir, smallSegments(img))
		require.NoError(t, err, "power loss after %s", where)
		require.Equal(t, want, storeContents(t, db), "power loss after %s", where)
		require.NoError(t, db.Close())
	}
}

// countOps runs p on a fresh Mem and returns how many file operations the
// whole run makes: the most of a few runs, since the count may vary (see
// TestCrashPoints). It logs how many snapshots the run saved.
func countOps(t testing.TB, p plan, level hurrah.Durability) int {
	t.Helper()
	most, snaps := 0, uint64(0)
	for range 3 {
		var in vfs.Injector
		m := vfs.NewMem()
		r := runPlan(p, &vfs.Faulty{FS: m, Inject: in.Inject}, level, &progress{})
		require.NoError(t, r.err, "the plan runs cleanly without faults (%s)", r.call)
		require.NoError(t, r.snapErr, "the plan's snapshots succeed without faults (%s)", r.snapCall)
		if in.Count() > most {
			most, snaps = in.Count(), r.snapshots
		}
	}
	t.Logf("%v: %d file operations, %d Snapshot calls, %d snapshots saved", level, most, p.snapshots(), snaps)
	return most
}
