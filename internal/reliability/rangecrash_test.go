package reliability

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Range deletes under power cuts. The plan sets keys under a few prefixes
// and now and then deletes a whole prefix (DeletePrefix) or a range
// (DeleteRange), each one journaled record, across segment rotations and
// automatic snapshots. After a cut, the reopened store must hold exactly
// the keys of some prefix of the plan, from every write acknowledged
// (Synced) to the one begun: a range delete is in it whole or not at all,
// never some of its keys gone and others not.

// rangeStep is one call of the plan: a set of key to value, or, if del is
// set, a DeleteRange of [key, end) (a DeletePrefix of key if prefix).
type rangeStep struct {
	key, end, value string
	del, prefix     bool
}

// rangePlan draws a plan of n steps.
func rangePlan(seed uint64, n int) []rangeStep {
	r := rand.New(rand.NewPCG(seed, 0x4a))
	steps := make([]rangeStep, n)
	for i := range steps {
		p := string(rune('a' + r.IntN(3)))
		switch x := r.IntN(100); {
		case x < 8:
			steps[i] = rangeStep{key: p + ":", del: true, prefix: true}
		case x < 14:
			lo, hi := r.IntN(10), r.IntN(10)
			steps[i] = rangeStep{key: fmt.Sprintf("%s:%d", p, min(lo, hi)), end: fmt.Sprintf("%s:%d", p, max(lo, hi)), del: true}
		default:
			steps[i] = rangeStep{key: fmt.Sprintf("%s:%d", p, r.IntN(10)), value: fmt.Sprintf("v%d-%0*d", i, 150+r.IntN(200), 0)}
		}
	}
	return steps
}

// rangeState returns the keys after the first k steps.
func rangeState(plan []rangeStep, k int) map[string]string {
	m := map[string]string{}
	for _, s := range plan[:k] {
		if !s.del {
			m[s.key] = s.value
			continue
		}
		end := s.end
		if s.prefix {
			end = s.key[:len(s.key)-1] + string(s.key[len(s.key)-1]+1)
		}
		maps.DeleteFunc(m, func(k, _ string) bool { return k >= s.key && k < end })
	}
	return m
}

// rangeCut is a run of the plan with the power cut before one file
// operation.
type rangeCut struct {
	img          *vfs.Mem
	acked, begun int
	ops          int
	err          error
}

// runRangeCut runs plan at Synced with the power cut before file
// operation at.
func runRangeCut(plan []rangeStep, at int, opts vfs.CrashOptions) rangeCut {
	var c rangeCut
	live := vfs.NewMem()
	var acked atomic.Int64
	in := cutPower(at, func() {
		c.acked = int(acked.Load())
		c.begun = c.acked + 1
		c.img = live.Crash(opts)
	})
	o := withFS(&hurrah.Options{Durability: hurrah.Synced, SegmentSize: hurrah.MinSegmentSize, SnapshotThreshold: 3 << 10},
		&vfs.Faulty{FS: live, Inject: in.Inject})
	ctx := context.Background()
	db, err := hurrah.Open(harnessDir, o)
	for i := 0; err == nil && i < len(plan); i++ {
		s := plan[i]
		switch {
		case s.prefix:
			_, err = db.DeletePrefix(ctx, s.key)
		case s.del:
			_, err = db.DeleteRange(ctx, s.key, s.end)
		default:
			err = db.SetBytes(ctx, s.key, []byte(s.value))
		}
		if err == nil {
			acked.Add(1)
		}
	}
	if db != nil {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}
	c.err, c.ops = err, in.Count()
	return c
}

// TestRangeDeleteCrashPoints cuts the power before every file operation
// of the plan's run, in each crash mode, and checks each image as the
// comment at the top of this file says.
func TestRangeDeleteCrashPoints(t *testing.T) {
	seeds := 1
	if harnessLong() {
		seeds = 4
	}
	var mu sync.Mutex
	points, inDelete := 0, 0
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for seed := range seeds {
				plan := rangePlan(uint64(seed), 70)
				full := runRangeCut(plan, 1<<30, vfs.CrashOptions{})
				require.NoError(t, full.err)
				r := rand.New(rand.NewPCG(uint64(seed), 0x4b))
				for at := 1; at <= full.ops; at++ {
					c := runRangeCut(plan, at, mode.options(r))
					if c.img == nil {
						continue
					}
					where := fmt.Sprintf("seed %d, cut before operation %d", seed, at)
					got := readRangeState(t, c.img)
					k := -1
					for i := c.acked; i <= min(c.begun, len(plan)); i++ {
						if maps.Equal(got, rangeState(plan, i)) {
							k = i
							break
						}
					}
					require.GreaterOrEqual(t, k, 0, "%s: keys %v are no prefix of %d to %d steps",
						where, slices.Sorted(maps.Keys(got)), c.acked, c.begun)
					mu.Lock()
					points++
					if c.begun <= len(plan) && plan[c.begun-1].del &&
						!maps.Equal(rangeState(plan, c.begun-1), rangeState(plan, c.begun)) {
						inDelete++ // the cut came during a range delete that deletes keys
					}
					mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("%d crash points checked, %d of them during a range delete", points, inDelete)
		if !t.Failed() && inDelete == 0 {
			t.Errorf("no cut came during a range delete: the plan tests nothing")
		}
	})
}

// readRangeState opens the store on fsys and returns its contents.
func readRangeState(t testing.TB, fsys vfs.FS) map[string]string {
	t.Helper()
	db, err := hurrah.Open(harnessDir, smallSegments(fsys))
	require.NoError(t, err)
	defer db.Close()
	return storeContents(t, db)
}
