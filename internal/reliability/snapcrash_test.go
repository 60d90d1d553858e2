package reliability

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Crashes at each step of the snapshot protocol. A Snapshot call has the
// journal sync and rotate, writes snap-<S>.hsnap.tmp and fsyncs it, waits
// for the journal to be durable through S, renames the file to
// snap-<S>.hsnap and fsyncs the directory, then removes the segments the
// snapshot covers and prunes the older snapshots. TestSnapshotCrashSteps
// cuts the power before each file operation of one such call and names the
// step each cut fell in.

// snapStep names the steps of a Snapshot call.
const (
	stepJournal    = "the journal's sync and rotation"
	stepTemp       = "writing the temp file"
	stepRename     = "the rename"
	stepDirSync    = "after the rename, before the directory fsync"
	stepBeforeGC   = "between the snapshot and segment removal"
	stepSegments   = "during segment removal"
	stepPruning    = "during pruning"
	stepUnexpected = "an operation the protocol does not have"
)

// snapSteps are the steps every level and crash mode must cut the power in.
var snapSteps = []string{stepJournal, stepTemp, stepRename, stepDirSync, stepBeforeGC, stepSegments, stepPruning}

// snapProgress is where a Snapshot call stood, from the file operations it
// made so far, in order, as "op name" (as an Injector names them).
type snapProgress struct {
	tmpSynced bool // the temp file's fsync began: the save had heard the journal was durable through S
	renamed   bool
	durable   bool // a directory fsync followed the rename
	gcListed  bool // the segment removal listed the directory
	removed   int  // segments removed
	gcDone    bool // the segment removal fsynced the directory, or had nothing to remove
	pruning   bool // the pruning listed the directory
}

// advance moves p past op.
func (p *snapProgress) advance(op string) {
	kind, name, _ := strings.Cut(op, " ")
	switch {
	case kind == vfs.OpSync.String() && strings.HasSuffix(name, ".hsnap.tmp"):
		p.tmpSynced = true
	case kind == vfs.OpRename.String():
		p.renamed = true
	case kind == vfs.OpSyncDir.String() && p.renamed && !p.durable:
		p.durable = true
	case kind == vfs.OpList.String() && p.durable && !p.gcListed:
		p.gcListed = true
	case kind == vfs.OpList.String() && p.gcListed:
		p.gcDone, p.pruning = true, true
	case kind == vfs.OpRemove.String() && isWAL(name):
		p.removed++
	case kind == vfs.OpSyncDir.String() && p.removed > 0 && !p.pruning:
		p.gcDone = true
	}
}

// step names the step a cut before op falls in, p being where the call
// stood.
func (p *snapProgress) step(op string) string {
	kind, name, _ := strings.Cut(op, " ")
	switch {
	case strings.HasSuffix(name, ".hsnap.tmp"):
		return stepTemp
	case kind == vfs.OpRename.String():
		return stepRename
	case isWAL(name) && kind != vfs.OpRemove.String() && kind != vfs.OpStat.String():
		return stepJournal // its fsync, the closing of the old segment, the new one
	case !p.renamed:
		if kind == vfs.OpSyncDir.String() {
			return stepJournal // the new segment's name made durable
		}
		return stepUnexpected
	case !p.durable:
		return stepDirSync
	case p.pruning || (p.gcListed && kind == vfs.OpList.String()):
		return stepPruning
	case p.gcListed && kind == vfs.OpSyncDir.String() && p.removed == 0:
		return stepJournal // the segment removal removes nothing: a late rotation
	case (p.gcListed && p.removed > 0) || p.gcDone:
		return stepSegments
	default:
		return stepBeforeGC // its listing, or the stat before the first removal
	}
}

// snapPlan is the workload of TestSnapshotCrashSteps at level: 12
// operations, a Snapshot, 30 more (so that several 4 KiB segments fill),
// the Snapshot whose steps are cut (operation target), and 4 more. The
// store keeps one snapshot and takes none on its own, so that the second
// Snapshot prunes the first. It runs in the first session (the second
// opens and closes the store), but at Buffered: there it runs in the
// second, with a Sync after every operation, so that the journal writes
// each write on its own, as at the other levels (it writes what it finds
// when it gets to it), and the segments, and so the call's file
// operations, are the same from run to run.
func snapPlan(level hurrah.Durability) (p plan, target int) {
	base := newPlan(0x5a5, 46)
	ops := slices.Clone(base.ops[:12])
	ops = append(ops, planOp{op: "snapshot"})
	ops = append(ops, base.ops[12:42]...)
	target = len(ops)
	ops = append(ops, planOp{op: "snapshot"})
	ops = append(ops, base.ops[42:]...)
	p = plan{ops: ops, split: len(ops), snapThreshold: -1, keepSnapshots: 1}
	if level == hurrah.Buffered {
		p.split, p.syncEvery = 0, 1
	}
	return p, target
}

// snapCut is a run of snapPlan with the power cut before one file
// operation of the target Snapshot call.
type snapCut struct {
	cutRun
	before  []string // the file operations of the call before the cut, as "op name"
	counted int      // of them, or of all the call made if nothing was cut, those of the kind to cut
	stuck   bool     // an operation was held back for bound: the order was not one the store can take
}

// snapOrder is how a run orders the two things a Snapshot call does at
// once: the save, and the journal's sync and rotation (it closes the
// segment it synced for the snapshot and starts the next one). The order
// is forced by holding one of them back, in the Faulty's injection, until
// the other has got so far. A hold never outlasts bound: if it does, the
// order was one the store cannot take (it would have deadlocked), and the
// test fails saying so.
type snapOrder int

const (
	// rotationFirst has the save wait to begin until the journal has
	// started its next segment.
	rotationFirst snapOrder = iota
	// saveAhead has the journal wait to begin until the save has created
	// its temp file and written the header: the save is as far ahead as
	// it may go (it must then wait for the journal to be durable through
	// the snapshot's LSN), so that a save that did not wait would commit a
	// snapshot ahead of the journal. The segment removal then waits for
	// the rotation, so that it finds the same segments every run.
	saveAhead
)

func (o snapOrder) String() string {
	return [...]string{"rotation first", "save ahead"}[o]
}

// snapCutPoint is where runSnapCut cuts the power.
type snapCutPoint struct {
	order snapOrder
	save  bool // in the save, or else beside it
	nth   int
}

func (cp snapCutPoint) String() string {
	where := "beside the save"
	if cp.save {
		where = "of the save"
	}
	return fmt.Sprintf("file operation %d %s (%v)", cp.nth, where, cp.order)
}

// runSnapCut runs p at level with the call to operation target ordered as
// cp says, and cuts the power just before the file operation cp names: the
// nth (from 1) that the save makes, or that the call makes beside it (the
// journal's sync and rotation). If the call makes fewer, nothing is cut
// and img is nil. With nth 0, nothing is cut, and counted says how many
// operations of the kind the call made.
func runSnapCut(p plan, level hurrah.Durability, target int, cp snapCutPoint, opts vfs.CrashOptions) snapCut {
	var c snapCut
	c.live = vfs.NewMem()
	var pr progress
	var mu sync.Mutex            // guards what follows, and orders the file operations
	var log []string             // the call's, before the cut
	seen := 0                    // operations of the kind to cut, in log
	calling, off := false, false // in the call to target; the power is off
	snapping := false            // in a Snapshot call
	// The holds of the orders: rotated and ahead for the target call, and
	// gate for a Snapshot call before it, ordered rotation first so that
	// it leaves the same segments every run. The target's also open when
	// the power goes, as what they wait for may then never come.
	rotated, ahead := make(chan struct{}), make(chan struct{})
	var rotatedOnce, aheadOnce sync.Once
	openRotated := func() { rotatedOnce.Do(func() { close(rotated) }) }
	openAhead := func() { aheadOnce.Do(func() { close(ahead) }) }
	saveOps := 0           // of the target call's save, begun
	var gate chan struct{} // rotated, for a call before the target one
	var gateOnce *sync.Once
	pr.step = func(i int, done bool) {
		if p.ops[i].op != "snapshot" || i > target {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		snapping = !done
		switch {
		case i == target:
			calling = !done
		case !done:
			gate, gateOnce = make(chan struct{}), &sync.Once{}
		}
	}
	inject := func(o vfs.Op, name string) error {
		save := calledFrom("hurrah.(*diskSnapshots).Save")
		mu.Lock()
		var wait <-chan struct{}
		if snapping && !off {
			order, rot := rotationFirst, gate
			if calling {
				order, rot = cp.order, rotated
			}
			switch {
			case order == rotationFirst && save:
				wait = rot
			case order == saveAhead && !save:
				wait = ahead
			case order == saveAhead && save && o == vfs.OpList:
				wait = rotated // so that the segment removal finds the same segments every run
			case !calling && !save && o == vfs.OpSyncDir:
				gateOnce.Do(func() { close(gate) }) // as openRotated below
			}
		}
		mu.Unlock()
		if wait != nil {
			select {
			case <-wait:
			case <-time.After(bound):
				mu.Lock()
				c.stuck = true
				mu.Unlock()
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if off {
			return errPowerLost
		}
		if !calling {
			return nil
		}
		this := o.String() + " " + name
		if save {
			if saveOps++; saveOps >= 2 { // the header: in it goes
				openAhead()
			}
		}
		if save == cp.save {
			if seen++; seen == cp.nth {
				// Read the promises before the image: a write counted
				// there had its fsync done before the image is taken.
				c.durable, c.acked = pr.durable.Load(), pr.acked.Load()
				c.img = c.live.Crash(opts)
				c.issued = pr.issued.Load()
				c.cut, off = this, true
				openRotated()
				openAhead()
				return errPowerLost
			}
		}
		log = append(log, this)
		if !save && o == vfs.OpSyncDir {
			openRotated() // the new segment's name is being made durable: the rotation's last step
		}
		return nil
	}
	r := runPlan(p, &vfs.Faulty{FS: c.live, Inject: inject}, level, &pr)
	if r.db != nil {
		r.db.Close() // fails too: the power is off
	}
	c.err, c.before, c.counted = r.err, log, seen
	if level == hurrah.Buffered {
		c.acked = c.durable // an acknowledgement alone promises nothing
	}
	return c
}

// snapName matches a snapshot's name in a file operation.
var snapName = regexp.MustCompile(`snap-(\d{20})\.hsnap$`)

// TestSnapshotCrashSteps cuts the power before each file operation of a
// Snapshot call, at the Synced and Written levels (and Buffered in the long
// version), keeping only what was synced, or that plus
// a random, torn part of the rest. The save and the journal's rotation run
// at once, so the call runs in two orders (snapOrder): the rotation done
// before the save begins, and the save as far ahead of the journal as it
// may go; every
// operation of each is cut, and each cut named by the step of the protocol
// it fell in (every step must be cut). Each image must reopen to the state
// after a prefix of the workload between what was promised and what was
// begun, with no temp file left; and:
//
//   - once the save had heard that the journal was durable through the
//     snapshot's LSN S (it fsyncs the temp file only then), every write
//     acknowledged before the call is promised, at every level;
//   - before the rename was made durable by a directory fsync, a store
//     that kept only synced data restores the older snapshot; after, it
//     restores the new one whatever the image kept, whether or not the
//     segments it covers and the older snapshot are gone yet;
//   - the process crashing instead (the page cache survives), a restart
//     recovers the same, and makes it durable before writing on;
//   - where the process left a temp file behind, and its name reached the
//     disk, Open removes it, and the power cut before each file operation
//     of that Open leaves a store that still recovers the same state.
func TestSnapshotCrashSteps(t *testing.T) {
	modes := []crashMode{crashModes[0], crashModes[2]} // synced-only, torn
	var mu sync.Mutex
	var points, temps, tempOpenCuts int
	covered := map[string]int{}
	levels := []hurrah.Durability{hurrah.Synced, hurrah.Written}
	if harnessLong() {
		// Run as snapPlan runs it, Buffered differs little from Synced.
		levels = append(levels, hurrah.Buffered)
	}
	for _, level := range levels {
		p, target := snapPlan(level)
		// The snapshots' LSNs.
		var renames []string
		var renamesMu sync.Mutex
		r := runPlan(p, &vfs.Faulty{FS: vfs.NewMem(), Inject: func(op vfs.Op, name string) error {
			if op == vfs.OpRename {
				renamesMu.Lock()
				renames = append(renames, name)
				renamesMu.Unlock()
			}
			return nil
		}}, level, &progress{})
		require.NoError(t, r.err, r.call)
		require.NoError(t, r.snapErr, r.snapCall)
		require.Len(t, renames, 2, "the workload's two snapshots")
		lsns := make([]uint64, 2)
		for i, rn := range renames {
			m := snapName.FindStringSubmatch(rn)
			require.NotNil(t, m, rn)
			lsn, err := strconv.ParseUint(m[1], 10, 64)
			require.NoError(t, err)
			lsns[i] = lsn
		}
		older, newer := lsns[0], lsns[1]
		require.Less(t, older, newer)

		for _, mode := range modes {
			t.Run(fmt.Sprintf("%v/%s", level, mode.name), func(t *testing.T) {
				t.Parallel()
				steps := map[string]int{}
				tempsHere := 0 // temp files left by a process crash in this subtest
				// Every operation of the call, in every order.
				var cuts []snapCutPoint
				for _, order := range []snapOrder{rotationFirst, saveAhead} {
					for _, save := range []bool{false, true} {
						cp := snapCutPoint{order: order, save: save}
						c := runSnapCut(p, level, target, cp, vfs.CrashOptions{})
						require.False(t, c.stuck, "%v: the order deadlocks", cp)
						require.NoError(t, c.err, "%v", cp)
						if save {
							require.Positive(t, c.counted, "%v", cp)
						}
						for cp.nth = 1; cp.nth <= c.counted; cp.nth++ {
							cuts = append(cuts, cp)
						}
					}
				}
				for k, cp := range cuts {
					rr := rand.New(rand.NewPCG(uint64(k), uint64(level)))
					c := runSnapCut(p, level, target, cp, mode.options(rr))
					require.False(t, c.stuck, "%v: the order deadlocks", cp)
					require.NotNil(t, c.img, "the call did not make %v", cp)
					var sp snapProgress
					for _, op := range c.before {
						sp.advance(op)
					}
					step := sp.step(c.cut)
					require.NotEqual(t, stepUnexpected, step, "%v: %s after %v", cp, c.cut, c.before)
					steps[step]++
					where := fmt.Sprintf("a power cut before %v, %s: %s (%s)", cp, c.cut, step, mode.name)

					// What was promised: past the temp file's fsync, the
					// journal was durable through S.
					lo := c.durable
					promised := c.acked
					if sp.tmpSynced || (strings.HasPrefix(c.cut, vfs.OpSync.String()+" ") && strings.HasSuffix(c.cut, ".hsnap.tmp")) {
						lo = max(lo, int64(target))
						promised = max(promised, int64(target))
					}
					img := c.img.Crash(vfs.CrashOptions{}) // a copy
					_, rec := requirePrefix(t, p, img, lo, c.issued, where)
					requireNoTemp(t, img, where)
					switch {
					case sp.durable:
						require.Equal(t, newer, rec.SnapshotLSN, "%s: the snapshot was durable", where)
					case !mode.random:
						require.Equal(t, older, rec.SnapshotLSN, "%s: the rename was not durable", where)
					default:
						require.Contains(t, []uint64{older, newer}, rec.SnapshotLSN, where)
					}
					require.Empty(t, rec.SkippedSnapshots, where)

					if !mode.random {
						// The process crashed instead. Where it left a
						// temp file, its name may reach the disk: Open
						// removes it, and a power cut at any moment of
						// that Open loses nothing.
						if hasTemp(t, c.live) {
							require.NoError(t, c.live.SyncDir(harnessDir))
							tmpImg := c.live.Crash(vfs.CrashOptions{})
							require.True(t, hasTemp(t, tmpImg))
							copyImg := tmpImg.Crash(vfs.CrashOptions{})
							n, rec := requirePrefix(t, p, copyImg, lo, c.issued, where+", the temp file's name on disk")
							requireNoTemp(t, copyImg, where)
							if !sp.durable {
								require.Equal(t, older, rec.SnapshotLSN, where)
							}
							// The short version cuts the power in every
							// 4th such Open; the long one in all.
							openCuts := 0
							if tempsHere%4 == 0 || harnessLong() {
								openCuts = crashRecovery(t, p, tmpImg, n, vfs.CrashOptions{}, where+", the temp file's name on disk")
							}
							tempsHere++
							mu.Lock()
							temps++
							tempOpenCuts += openCuts
							mu.Unlock()
						}
						nr := rand.New(rand.NewPCG(uint64(k), 7))
						restartThenPowerLoss(t, p, c.live, promised, c.issued, nr, where)
					}
					mu.Lock()
					points++
					mu.Unlock()
				}
				for _, s := range snapSteps {
					require.Positive(t, steps[s], "no power cut %s; cuts by step: %v", s, steps)
				}
				t.Logf("cuts by step: %v", steps)
				mu.Lock()
				for s, n := range steps {
					covered[s] += n
				}
				mu.Unlock()
			})
		}
	}
	t.Cleanup(func() {
		if temps == 0 {
			t.Errorf("no process crash left a temp file")
		}
		if !t.Failed() {
			t.Logf("figure: snapshot crash steps: %d power cuts within a Snapshot call (%d levels x 2 orders x synced-only and torn), by step %v; %d temp files left by a process crash removed at Open, with %d power cuts during those Opens; 0 promised writes lost",
				points, len(levels), covered, temps, tempOpenCuts)
		}
	})
}

// hasTemp reports whether the store directory on fsys holds a snapshot temp
// file.
func hasTemp(t testing.TB, fsys vfs.FS) bool {
	t.Helper()
	names, err := fsys.List(harnessDir)
	require.NoError(t, err)
	return slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".hsnap.tmp") })
}

// requireNoTemp fails if the store directory on fsys holds a snapshot temp
// file.
func requireNoTemp(t testing.TB, fsys vfs.FS, where string) {
	t.Helper()
	require.False(t, hasTemp(t, fsys), "%s: a temp file is left after Open", where)
}
