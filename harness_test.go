package hurrah

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The crash and fault harness: a scripted single-writer workload (a plan)
// that runs against any vfs.FS and counts how far it got, and a check that
// what a directory holds afterwards is exactly the state after some prefix
// of the plan that contains every write the level promised to keep.

// harnessDir is where harness stores live on an in-memory file system.
const harnessDir = "/db"

// harnessLong reports whether the long versions of the reliability tests
// were asked for (HURRAH_LONG=1).
func harnessLong() bool { return os.Getenv("HURRAH_LONG") == "1" }

// planOp is one step of a plan: a SetBytes, a Delete, a Clear, or a
// Snapshot, which changes nothing in the state (so the states after a
// prefix ending with one and after that prefix without it are equal).
type planOp struct {
	op    string // "set", "delete", "clear" or "snapshot"
	key   string
	value string
}

// plan is a workload in two sessions: the first opens the store, applies
// ops[:split] and closes it; the second opens it again, applies the rest
// with a Sync after every syncEvery of them, and closes it. Both sessions
// open the store with the snapshot options below.
type plan struct {
	ops       []planOp
	split     int
	syncEvery int
	// snapThreshold and keepSnapshots are the sessions'
	// Options.SnapshotThreshold and Options.KeepSnapshots; 0 means a
	// threshold no plan reaches, and the default number kept.
	snapThreshold int64
	keepSnapshots int
}

// newPlan returns n operations on a few keys, with values large enough that
// 4 KiB segments rotate every dozen or so writes.
func newPlan(seed uint64, n int) plan {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	p := plan{split: n / 3, syncEvery: 5}
	for i := range n {
		key := "k" + strconv.Itoa(r.IntN(8))
		switch x := r.IntN(100); {
		case x < 75:
			v := fmt.Sprintf("v%d-%s", i, strings.Repeat("x", 100+r.IntN(300)))
			p.ops = append(p.ops, planOp{op: "set", key: key, value: v})
		case x < 95:
			p.ops = append(p.ops, planOp{op: "delete", key: key})
		default:
			p.ops = append(p.ops, planOp{op: "clear"})
		}
	}
	return p
}

// withSnapshots returns p with a Snapshot call after every every-th
// operation of each session and after the last one of each (where every is
// 0, only those), so that every session takes at least one snapshot and an
// automatic snapshot never runs into the Close that follows; threshold
// and keep are the snapshot options of both sessions.
func (p plan) withSnapshots(every int, threshold int64, keep int) plan {
	q := plan{syncEvery: p.syncEvery, snapThreshold: threshold, keepSnapshots: keep}
	snap := planOp{op: "snapshot"}
	add := func(ops []planOp) {
		for i, o := range ops {
			q.ops = append(q.ops, o)
			if (every > 0 && (i+1)%every == 0) || i == len(ops)-1 {
				q.ops = append(q.ops, snap)
			}
		}
	}
	add(p.ops[:p.split])
	q.split = len(q.ops)
	add(p.ops[p.split:])
	return q
}

// snapshots returns how many Snapshot calls p makes.
func (p plan) snapshots() int {
	n := 0
	for _, o := range p.ops {
		if o.op == "snapshot" {
			n++
		}
	}
	return n
}

// options returns the options the sessions of p open the store with.
func (p plan) options(fsys vfs.FS, level Durability) *Options {
	return &Options{Durability: level, SegmentSize: MinSegmentSize, SyncInterval: time.Hour,
		SnapshotThreshold: p.snapThreshold, KeepSnapshots: p.keepSnapshots, fs: fsys}
}

// state returns the store's contents after the first n operations.
func (p plan) state(n int) map[string]string {
	m := map[string]string{}
	for _, o := range p.ops[:n] {
		switch o.op {
		case "set":
			m[o.key] = o.value
		case "delete":
			delete(m, o.key)
		case "clear":
			clear(m)
		}
	}
	return m
}

// progress counts how far a run of a plan got. Each counter only grows.
type progress struct {
	issued  atomic.Int64 // operations whose call had begun
	acked   atomic.Int64 // operations whose call returned nil (or, for a Snapshot, returned at all: see runPlan)
	durable atomic.Int64 // operations the level promises survive a power loss

	// step, if set, is called just before operation i of the plan is
	// issued (done false) and just after its call returned (done true),
	// from the goroutine that runs the plan.
	step func(i int, done bool)
}

// runResult says how a run of a plan ended.
type runResult struct {
	err  error  // the first error a call returned, nil if the plan completed
	call string // the call that returned it
	// db is the store the error came from, still open, when it came from
	// a write, a Sync or a Snapshot that failed because the journal did
	// (so the test can check the store refuses writes); nil otherwise.
	db *DB
	// snapErr is the first error of a snapshot that failed while the
	// journal did not, which the run went on after: one a Snapshot call
	// returned (snapCall "snapshot-alone #i"), or one an automatic
	// snapshot left in Stats (snapCall "auto-snapshot"). Nil if there was
	// none. A Snapshot that failed because the journal did ends the run as
	// any other call does ("snapshot #i").
	snapErr  error
	snapCall string
	// snapshots is how many snapshots the sessions saved, Snapshot calls
	// and automatic ones, by their Stats.
	snapshots uint64
}

// runPlan runs p on fsys at level and stops at the first error, but for a
// Snapshot that fails while the journal has not: a snapshot's failure must
// leave the store writable, so the run goes on (and counts the call as
// acknowledged, since it changes nothing: the prefix that must survive is
// not cut short by it). Synced writes are durable when acknowledged; at the
// other levels a write is durable once a Sync, a Snapshot or a Close that
// began after its acknowledgement has returned nil (a Snapshot returns once
// the state it holds, which includes every write acknowledged before it,
// is durable).
func runPlan(p plan, fsys vfs.FS, level Durability, pr *progress) runResult {
	ctx := context.Background()
	opts := p.options(fsys, level)
	settle := func() { pr.durable.Store(pr.acked.Load()) }
	var res runResult
	snapFailed := func(err error, call string) {
		if res.snapErr == nil {
			res.snapErr, res.snapCall = err, call
		}
	}
	session := func(ops []planOp, first int, syncEvery int) runResult {
		db, err := Open(harnessDir, opts)
		if err != nil {
			return runResult{err: err, call: "Open"}
		}
		for i, o := range ops {
			if pr.step != nil {
				pr.step(first+i, false)
			}
			pr.issued.Add(1)
			switch o.op {
			case "set":
				err = db.SetBytes(ctx, o.key, []byte(o.value))
			case "delete":
				_, err = db.Delete(ctx, o.key)
			case "clear":
				err = db.Clear(ctx)
			case "snapshot":
				acked := pr.acked.Load()
				if err = db.Snapshot(ctx); err == nil {
					pr.durable.Store(acked)
				} else if !errors.Is(err, ErrReadOnly) {
					snapFailed(err, fmt.Sprintf("snapshot-alone #%d", first+i))
					err = nil
				}
			}
			if pr.step != nil {
				pr.step(first+i, true)
			}
			if err != nil {
				return runResult{err: err, call: fmt.Sprintf("%s #%d", o.op, first+i), db: db}
			}
			pr.acked.Add(1)
			if level == Synced {
				settle()
			}
			if syncEvery > 0 && (i+1)%syncEvery == 0 {
				acked := pr.acked.Load()
				if err := db.Sync(ctx); err != nil {
					return runResult{err: err, call: "Sync", db: db}
				}
				pr.durable.Store(acked)
			}
		}
		acked := pr.acked.Load()
		err = db.Close()
		// An automatic snapshot that failed told no caller; Stats did.
		// (A plan withSnapshots ends each session with a Snapshot, which
		// waits for one that runs, so none is cut short by Close. One the
		// journal failed is not the snapshot's failure: Close reports it.)
		st := db.Stats()
		if st.SnapshotsFailed > 0 && !errors.Is(st.LastSnapshotErr, ErrReadOnly) {
			snapFailed(st.LastSnapshotErr, "auto-snapshot")
		}
		res.snapshots += st.Snapshots
		if err != nil {
			return runResult{err: err, call: "Close"}
		}
		pr.durable.Store(acked)
		return runResult{}
	}
	r := session(p.ops[:p.split], 0, 0)
	if r.err == nil {
		r = session(p.ops[p.split:], p.split, p.syncEvery)
	}
	r.snapErr, r.snapCall, r.snapshots = res.snapErr, res.snapCall, res.snapshots
	return r
}

// requirePrefix opens the store on fsys and fails unless it holds the state
// after the first n operations of p for some n in [lo, hi]: every write
// that had to survive is there, nothing is reordered or half applied, and
// anything more is the next few operations in order. It returns n and what
// Open recovered, and leaves the store closed. where says what happened
// before, for the failure message.
func requirePrefix(t testing.TB, p plan, fsys vfs.FS, lo, hi int64, where string) (int, Recovery) {
	t.Helper()
	db, err := Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: fsys})
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
	db, err := Open(harnessDir, &Options{Durability: Synced, SegmentSize: MinSegmentSize, fs: live})
	require.NoError(t, err, where)
	n := requireMatch(t, p, storeContents(t, db), lo, hi, where)
	require.NoError(t, db.SetBytes(context.Background(), "after-restart", []byte(where)), where)
	imgs := []*vfs.Mem{live.Crash(vfs.CrashOptions{}), live.Crash(vfs.CrashOptions{Rand: r, Tear: true})}
	require.NoError(t, db.Close(), where)

	want := p.state(n)
	want["after-restart"] = where
	for _, img := range imgs {
		db, err = Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: img})
		require.NoError(t, err, "power loss after %s", where)
		require.Equal(t, want, storeContents(t, db), "power loss after %s", where)
		require.NoError(t, db.Close())
	}
}

// storeContents reads every key and value of db.
func storeContents(t testing.TB, db *DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	got := make(map[string]string, len(keys))
	for _, k := range keys {
		b, err := db.GetBytes(ctx, k)
		require.NoError(t, err)
		got[k] = string(b)
	}
	return got
}

// errPowerLost is what every file operation returns once the power has
// been cut: the machine is off.
var errPowerLost = errors.New("test: power lost")

// cutPower returns an injector that cuts the power just before file
// operation at (from 1): it calls image there, then fails that operation
// and every later one with errPowerLost.
func cutPower(at int, image func()) *vfs.Injector {
	var once sync.Once
	return &vfs.Injector{At: at, Lasting: true, Err: func(vfs.Op, string) error {
		once.Do(image)
		return errPowerLost
	}}
}

// countOps runs p on a fresh Mem and returns how many file operations the
// whole run makes: the most of a few runs, since the count may vary (see
// TestCrashPoints). It logs how many snapshots the run saved.
func countOps(t testing.TB, p plan, level Durability) int {
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
