package reliability

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// crashMode is what a simulated power loss keeps beyond the synced data.
type crashMode struct {
	name   string
	random bool // keep a random part of the unsynced data and directory changes
	tear   bool // and tear the unsynced bytes kept
}

var crashModes = []crashMode{
	{name: "synced-only"},
	{name: "random-unsynced", random: true},
	{name: "torn", random: true, tear: true},
}

// options returns the crash options of the mode, drawing from r.
func (c crashMode) options(r *rand.Rand) vfs.CrashOptions {
	if !c.random {
		return vfs.CrashOptions{}
	}
	return vfs.CrashOptions{Rand: r, Tear: c.tear}
}

// cutRun is a run of a plan with the power cut before one file operation.
type cutRun struct {
	img  *vfs.Mem // what the disk holds after the cut; nil if the run ended first
	live *vfs.Mem // the file system as the process left it (the page cache survives)
	// The bounds a recovery must land between: the operations the level
	// had promised to keep through a power loss (durable) or a process
	// crash (acked), and those begun (issued).
	durable, acked, issued int64
	err                    error  // how the run ended
	cut                    string // the operation the power went before, as "op name"
}

// runCut runs p on a fresh in-memory file system and cuts the power just
// before the file operation numbered at (from 1).
func runCut(p plan, level hurrah.Durability, at int, opts vfs.CrashOptions) cutRun {
	var c cutRun
	c.live = vfs.NewMem()
	var pr progress
	in := cutPower(at, func() {
		// Read the promises before the image: a write counted there had
		// its fsync done before the image is taken.
		c.durable, c.acked = pr.durable.Load(), pr.acked.Load()
		c.img = c.live.Crash(opts)
		c.issued = pr.issued.Load()
	})
	r := runPlan(p, &vfs.Faulty{FS: c.live, Inject: in.Inject}, level, &pr)
	if r.db != nil {
		r.db.Close() // fails too: the power is off
	}
	c.err, c.cut = r.err, in.Failed()
	if level == hurrah.Buffered {
		c.acked = c.durable // an acknowledgement alone promises nothing
	}
	return c
}

// TestCrashPoints cuts the power before every file operation of a workload
// (two sessions with a reopen between them, segment rotations, Syncs,
// Snapshots with the segment removal and pruning they do, automatic
// snapshots, and Closes), keeping only what was synced, or that plus a
// random part of the rest, torn or not. Reopening each image must give the
// state after a prefix of the workload holding every write that was
// acknowledged at the Synced level, or covered by a Sync, Snapshot or Close
// that returned at the others.
//
// Where recovery cut a torn tail, the power is cut again before each file
// operation of that recovery: the next recovery must come back to exactly
// the same state. And at every crash point the process is also restarted
// on what it left behind (the page cache survives a process crash), a
// Synced write made, and the power cut: that restart must have made all it
// recovered durable.
func TestCrashPoints(t *testing.T) {
	// The short version crashes into every 8th recovery that cuts a torn
	// tail; the long one into all of them.
	seeds, n, nestEvery := 1, 30, 8
	if harnessLong() {
		seeds, n, nestEvery = 8, 120, 1
	}
	var mu sync.Mutex
	var points, images, nested, torn, restarts, maxExtra, snapPoints, snapshots int
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written, hurrah.Buffered} {
		for _, mode := range crashModes {
			t.Run(fmt.Sprintf("%v/%s", level, mode.name), func(t *testing.T) {
				t.Parallel()
				p := crashPlan(level, uint64(level), n)
				ops := countOps(t, p, level)
				modeSeeds := seeds
				if !mode.random {
					modeSeeds = 1 // nothing random to vary
				}
				cuts := 0 // torn tails cut in this subtest
				for seed := range modeSeeds {
					r := rand.New(rand.NewPCG(uint64(seed), uint64(level)))
					// The count of file operations may vary from run to
					// run: at Buffered, writes share journal writes as
					// the goroutines happen to meet, and at every level
					// a snapshot's save runs beside the journal (a save
					// that listed the directory before the journal had
					// started its next segment would keep a segment it
					// could remove). So go on to the most countOps saw,
					// past runs that end before the point, then until a
					// run does.
					at, short := 1, 0
					for ; ; at++ {
						c := runCut(p, level, at, mode.options(r))
						if c.img == nil {
							require.NoError(t, c.err, "a run that was never cut fails")
							if at <= ops {
								short++
								continue
							}
							break
						}
						where := fmt.Sprintf("a power cut before file operation %d, %s (seed %d)", at, c.cut, seed)
						got, rec := checkCrashImage(t, p, c.img, c.durable, c.issued, where)
						again, restarted := 0, 0
						if rec.TornTail != nil {
							if cuts%nestEvery == 0 {
								nr := rand.New(rand.NewPCG(uint64(seed), uint64(at)))
								again = crashRecovery(t, p, c.img, got, mode.options(nr), where)
							}
							cuts++
						}
						if !mode.random {
							nr := rand.New(rand.NewPCG(uint64(seed), uint64(at)))
							restartThenPowerLoss(t, p, c.live, c.acked, c.issued, nr, where)
							restarted = 1
						}
						mu.Lock()
						points++
						if snapshotOp(c.cut) {
							snapPoints++
						}
						images += 1 + again
						nested += again
						restarts += restarted
						maxExtra = max(maxExtra, got-int(c.durable))
						mu.Unlock()
					}
					require.LessOrEqual(t, short, ops/4, "runs that ended before the point: most should not")
					t.Logf("seed %d: %d crash points; %d runs ended before the point", seed, at-1-short, short)
				}
				mu.Lock()
				torn += cuts
				snapshots += p.snapshots()
				mu.Unlock()
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: crash points: %d crash points (3 levels x 3 modes x seeds; %d of them on an operation of a snapshot: its file, segment removal or pruning; %d Snapshot calls in the 9 workloads, with automatic snapshots at Synced), %d images reopened (%d of them crashes during recovery), %d torn tails cut, %d restarts then power loss, 0 acknowledged writes lost, at most %d unpromised operations kept",
				points, snapPoints, snapshots, images, nested, torn, restarts, maxExtra)
		}
	})
}

// crashPlan returns the workload of n operations, drawn from seed, that
// TestCrashPoints and TestIOErrorSweep run at level: Snapshot calls at the end of each session,
// and also every 12 operations at Written and Buffered, keeping one
// snapshot but at Written (so that pruning runs at almost every snapshot);
// and at Synced automatic snapshots every 3 KiB of journal or so.
func crashPlan(level hurrah.Durability, seed uint64, n int) plan {
	p := newPlan(seed, n)
	switch level {
	case hurrah.Synced:
		return p.withSnapshots(0, 3<<10, 1)
	case hurrah.Written:
		return p.withSnapshots(12, 0, 0)
	default:
		return p.withSnapshots(12, 0, 1)
	}
}

// snapshotOp reports whether op, as "op name" from an Injector, is an
// operation of a snapshot save or of what it removes: on a snapshot file
// (or its temp file), or the removal of a segment (and the stat before it).
func snapshotOp(op string) bool {
	kind, name, _ := strings.Cut(op, " ")
	return strings.Contains(name, ".hsnap") ||
		((kind == vfs.OpRemove.String() || kind == vfs.OpStat.String()) && isWAL(name))
}

// checkCrashImage reopens a copy of img and checks it holds a prefix of p
// between lo and hi operations; it also checks the store takes a write after
// recovery and keeps it across a clean reopen.
func checkCrashImage(t testing.TB, p plan, img *vfs.Mem, lo, hi int64, where string) (int, hurrah.Recovery) {
	t.Helper()
	fsys := img.Crash(vfs.CrashOptions{}) // a copy: img is all synced
	got, rec := requirePrefix(t, p, fsys, lo, hi, where)
	opts := smallSegments(fsys)
	db, err := hurrah.Open(harnessDir, opts)
	require.NoError(t, err, where)
	require.NoError(t, db.SetBytes(t.Context(), "after-crash", []byte(where)), where)
	require.NoError(t, db.Close(), where)
	db, err = hurrah.Open(harnessDir, opts)
	require.NoError(t, err, where)
	b, err := db.GetBytes(t.Context(), "after-crash")
	require.NoError(t, err, where)
	require.Equal(t, where, string(b))
	require.Nil(t, db.Recovery().TornTail, "a clean close leaves no torn tail (%s)", where)
	require.NoError(t, db.Close())
	return got, rec
}

// crashRecovery cuts the power before each file operation of the recovery
// of img (which cuts a torn tail) and checks each resulting image holds
// exactly the got operations of p that an undisturbed recovery found. It
// returns how many images it checked.
func crashRecovery(t testing.TB, p plan, img *vfs.Mem, got int, opts vfs.CrashOptions, where string) int {
	t.Helper()
	var count vfs.Injector
	db, err := hurrah.Open(harnessDir, smallSegments(&vfs.Faulty{FS: img.Crash(vfs.CrashOptions{}), Inject: count.Inject}))
	require.NoError(t, err)
	require.NoError(t, db.Close())
	checked := 0
	for at := 1; at <= count.Count(); at++ {
		fsys := img.Crash(vfs.CrashOptions{})
		var again *vfs.Mem
		in := cutPower(at, func() { again = fsys.Crash(opts) })
		db, err := hurrah.Open(harnessDir, smallSegments(&vfs.Faulty{FS: fsys, Inject: in.Inject}))
		if err == nil {
			db.Close() // the power went during Close's own operations
		}
		if again == nil { // every goroutine that could set it has ended
			continue
		}
		requirePrefix(t, p, again, int64(got), int64(got), fmt.Sprintf("%s, then one before operation %d of the recovery", where, at))
		checked++
	}
	return checked
}
