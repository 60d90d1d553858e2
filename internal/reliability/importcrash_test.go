package reliability

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// An import is a sequence of batches (DB.Write), one journal record each.
// A crash in the middle must leave the store holding exactly the first k
// whole batches of the input, for some k between what the level promised
// and the batches begun.

const (
	importLines = 48
	importBatch = 4 // lines per batch: 12 batches
)

// importInput returns the lines of an import of keys k0..k12, overwritten
// again and again, with values of 100 to 400 bytes (so that 4 KiB segments
// rotate), some JSON and some base64, and the state of the store after
// each number of whole batches.
func importInput(t testing.TB, seed uint64) (string, []map[string]string) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x1a9))
	var lines []string
	for i := range importLines {
		key := fmt.Sprintf("k%d", r.IntN(13))
		if r.IntN(3) == 0 {
			lines = append(lines, fmt.Sprintf(`{"key":%q,"value_base64":"%s"}`, key, strings.Repeat("AAEC", 25+r.IntN(75))))
		} else {
			lines = append(lines, fmt.Sprintf(`{"key":%q,"value":["line %d","%s"]}`, key, i+1, strings.Repeat("x", 100+r.IntN(300))))
		}
	}
	var states []map[string]string
	for k := 0; k*importBatch <= importLines; k++ {
		db, err := hurrah.Open("", nil)
		require.NoError(t, err)
		_, err = db.Import(context.Background(), strings.NewReader(strings.Join(lines[:k*importBatch], "\n")), nil)
		require.NoError(t, err)
		states = append(states, storeContents(t, db))
		require.NoError(t, db.Close())
	}
	return strings.Join(lines, "\n") + "\n", states
}

// importCut is an import with the power cut before one file operation.
type importCut struct {
	img, live *vfs.Mem // as in cutRun
	// The batches the level had promised to keep through a power loss
	// (durable) or a process crash (acked), and at most begun (begun).
	durable, acked, begun int64
	err                   error
	cut                   string
	ops                   int // file operations made, the cut one included
}

// runImportCut opens a store at level on a fresh in-memory file system,
// imports input into it and closes it, with the power cut before file
// operation at.
func runImportCut(input string, level hurrah.Durability, at int, opts vfs.CrashOptions) importCut {
	var c importCut
	c.live = vfs.NewMem()
	var acked atomic.Int64 // batches Import reported applied
	in := cutPower(at, func() {
		n := acked.Load()
		c.durable, c.acked, c.begun = 0, n, n+1 // one batch at a time
		switch level {
		case hurrah.Synced:
			c.durable = n
		case hurrah.Buffered:
			c.acked = 0 // an acknowledgement alone promises nothing
		}
		c.img = c.live.Crash(opts)
	})
	fsys := &vfs.Faulty{FS: c.live, Inject: in.Inject}
	db, err := hurrah.Open(harnessDir, withFS(&hurrah.Options{
		Durability: level, SegmentSize: hurrah.MinSegmentSize, SnapshotThreshold: 3 << 10,
	}, fsys))
	if err == nil {
		_, err = db.Import(context.Background(), strings.NewReader(input), &hurrah.ImportOptions{
			BatchSize: importBatch,
			Progress:  func(p hurrah.Progress) { acked.Store(p.Lines / importBatch) },
		})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	c.err, c.cut, c.ops = err, in.Failed(), in.Count()
	return c
}

// requireBatches opens the store on fsys and fails unless it holds the
// state after k whole batches, for some k in [lo, hi]; it returns k.
func requireBatches(t testing.TB, states []map[string]string, fsys vfs.FS, lo, hi int64, where string) int {
	t.Helper()
	db, err := hurrah.Open(harnessDir, smallSegments(fsys))
	require.NoError(t, err, "reopen after %s", where)
	defer db.Close()
	got := storeContents(t, db)
	for k := lo; k <= min(hi, int64(len(states)-1)); k++ {
		if maps.Equal(got, states[k]) {
			return int(k)
		}
	}
	require.Failf(t, "recovered state is not whole batches of the import",
		"after %s: want the state after %d to %d batches; got keys %v", where, lo, hi, slices.Sorted(maps.Keys(got)))
	return 0
}

// TestImportCrashPoints cuts the power before every file operation of an
// import (Open, twelve batches with segment rotations and automatic
// snapshots, Close), at each durability level, in each crash mode of
// TestCrashPoints. Each image must reopen holding exactly a prefix of whole
// batches: every batch acknowledged at Synced (all of them once Close
// returned), and at most the one being written besides. At the
// synced-only points the process is also restarted on what it left (the
// page cache survives): that must hold every batch acknowledged at
// Written and Synced. Every number of batches, from none to all, must turn
// up among the cuts.
func TestImportCrashPoints(t *testing.T) {
	seeds := 1
	if harnessLong() {
		seeds = 6
	}
	var mu sync.Mutex
	var points, restarts int
	seen := map[int]bool{} // batches found after a cut
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written, hurrah.Buffered} {
		for _, mode := range crashModes {
			t.Run(fmt.Sprintf("%v/%s", level, mode.name), func(t *testing.T) {
				t.Parallel()
				input, states := importInput(t, uint64(level))
				ops := countImportOps(t, input, level)
				modeSeeds := seeds
				if !mode.random {
					modeSeeds = 1
				}
				for seed := range modeSeeds {
					r := rand.New(rand.NewPCG(uint64(seed), uint64(level)))
					for at := 1; at <= ops+1; at++ {
						c := runImportCut(input, level, at, mode.options(r))
						if c.img == nil {
							require.NoError(t, c.err, "an import that was never cut fails")
							continue
						}
						where := fmt.Sprintf("%v, a power cut before file operation %d, %s (seed %d)", level, at, c.cut, seed)
						k := requireBatches(t, states, c.img.Crash(vfs.CrashOptions{}), c.durable, c.begun, where)
						restarted := 0
						if !mode.random {
							requireBatches(t, states, c.live, c.acked, c.begun, "a restart after "+where)
							restarted = 1
						}
						mu.Lock()
						points++
						restarts += restarted
						seen[k] = true
						mu.Unlock()
					}
				}
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			require.Len(t, seen, importLines/importBatch+1, "cuts found every number of batches, 0 to all")
			t.Logf("figure: import crash points: %d power cuts during imports of %d batches (3 levels x 3 modes), %d restarts; each left a prefix of whole batches holding all promised",
				points, importLines/importBatch, restarts)
		}
	})
}

// countImportOps returns the most file operations of a few fault-free runs
// of the import (the count may vary: snapshots run beside the journal).
func countImportOps(t testing.TB, input string, level hurrah.Durability) int {
	t.Helper()
	most := 0
	for range 3 {
		c := runImportCut(input, level, 1<<30, vfs.CrashOptions{})
		require.NoError(t, c.err)
		most = max(most, c.ops)
	}
	return most
}
