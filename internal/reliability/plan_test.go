package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// A plan: a scripted single-writer workload that runs against any vfs.FS
// and counts how far it got (the check is in check_test.go).

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
func (p plan) options(fsys vfs.FS, level hurrah.Durability) *hurrah.Options {
	return withFS(&hurrah.Options{Durability: level, SegmentSize: hurrah.MinSegmentSize, SyncInterval: time.Hour,
		SnapshotThreshold: p.snapThreshold, KeepSnapshots: p.keepSnapshots}, fsys)
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
	db *hurrah.DB
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
func runPlan(p plan, fsys vfs.FS, level hurrah.Durability, pr *progress) runResult {
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
		db, err := hurrah.Open(harnessDir, opts)
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
				} else if !errors.Is(err, hurrah.ErrReadOnly) {
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
			if level == hurrah.Synced {
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
		if st.SnapshotsFailed > 0 && !errors.Is(st.LastSnapshotErr, hurrah.ErrReadOnly) {
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
