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
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/fsseam"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Expiry under power cuts. The plan sets keys with and without deadlines,
// and pushes deadlines back or drops them (Expire, Persist), while a clock
// the test moves runs on, so that the owner expires keys
// (journaled OpExpire records) between the writes, with segment rotations
// and automatic snapshots (which then carry deadlines). After a cut, the
// store reopened at the clock of the cut must hold exactly the keys of
// some prefix of the plan, from every write acknowledged (Synced) to the
// one begun, that have not expired by then, each with its deadline; no
// expired key may show. Reopened with the clock turned back to the start,
// every key it shows must be the prefix's, with its deadline: keys the
// owner removed stay removed (their removal replays), and the others
// survive unchanged.

// expiryStep is one call of the plan: a set of key (with the deadline at,
// in clock units from the start, or none if 0), or, if expire is set, an
// Expire of key to at (a Persist if 0); then the clock moves on by tick
// units.
type expiryStep struct {
	key    string
	at     int64
	value  string
	tick   int64
	expire bool
}

// expiryUnit is one unit of the plan's clock.
const expiryUnit = int64(time.Second)

// expiryStart is the plan's clock at its start, in Unix ns.
var expiryStart = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// expiryPlan draws a plan of n steps.
func expiryPlan(seed uint64, n int) []expiryStep {
	r := rand.New(rand.NewPCG(seed, 0xe1))
	steps := make([]expiryStep, n)
	now := int64(0)
	for i := range steps {
		s := expiryStep{key: fmt.Sprintf("k%d", r.IntN(12)), value: fmt.Sprintf("v%d-%0*d", i, 150+r.IntN(200), 0)}
		if r.IntN(4) != 0 {
			s.at = now + 1 + int64(r.IntN(20))
		}
		if r.IntN(5) == 0 { // push a deadline back (or drop it) before it passes
			s.expire, s.value = true, ""
			if r.IntN(4) != 0 {
				s.at = now + 1 + int64(r.IntN(40))
			}
		}
		s.tick = int64(r.IntN(3))
		now += s.tick
		steps[i] = s
	}
	return steps
}

// expiryEntry is a key of the model: its value and its deadline (Unix ns).
type expiryEntry struct {
	value string
	at    int64
}

// expiryState returns the keys after the first k steps that have not
// expired by the clock now (Unix ns).
func expiryState(plan []expiryStep, k int, now int64) map[string]expiryEntry {
	m := map[string]expiryEntry{}
	clock := expiryStart // the clock when each step is called
	for _, s := range plan[:k] {
		at := int64(0)
		if s.at != 0 {
			at = expiryStart + s.at*expiryUnit
		}
		if !s.expire {
			m[s.key] = expiryEntry{s.value, at}
		} else if e, ok := m[s.key]; ok && (e.at == 0 || e.at > clock) {
			m[s.key] = expiryEntry{e.value, at} // Expire changes a live key only
		}
		clock += s.tick * expiryUnit
	}
	maps.DeleteFunc(m, func(_ string, e expiryEntry) bool { return e.at != 0 && e.at <= now })
	return m
}

// expiryCut is a run of the plan with the power cut before one file
// operation.
type expiryCut struct {
	img          *vfs.Mem
	acked, begun int
	clock        int64 // the clock when the power went
	ops          int
	err          error
}

// runExpiryCut runs plan at Synced with the power cut before file
// operation at.
func runExpiryCut(plan []expiryStep, at int, opts vfs.CrashOptions) expiryCut {
	var c expiryCut
	live := vfs.NewMem()
	var clock atomic.Int64
	clock.Store(expiryStart)
	var acked atomic.Int64
	in := cutPower(at, func() {
		c.acked = int(acked.Load())
		c.begun = c.acked + 1
		c.clock = clock.Load()
		c.img = live.Crash(opts)
	})
	o := withFS(&hurrah.Options{Durability: hurrah.Synced, SegmentSize: hurrah.MinSegmentSize, SnapshotThreshold: 3 << 10},
		&vfs.Faulty{FS: live, Inject: in.Inject})
	fsseam.SetClock(o, clock.Load)
	ctx := context.Background()
	db, err := hurrah.Open(harnessDir, o)
	for i := 0; err == nil && i < len(plan); i++ {
		s := plan[i]
		var opts []hurrah.SetOption
		if s.at != 0 {
			opts = append(opts, hurrah.Deadline(time.Unix(0, expiryStart+s.at*expiryUnit)))
		}
		if s.expire {
			err = expireStep(ctx, db, s)
		} else {
			err = db.SetBytes(ctx, s.key, []byte(s.value), opts...)
		}
		if err == nil {
			acked.Add(1)
			clock.Add(s.tick * expiryUnit)
			if s.tick > 0 {
				err = db.Sync(ctx) // a turn after the clock moved: the owner expires what is due
			}
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

// expireStep calls Expire (or Persist, for a step without a deadline)
// with the step's deadline.
func expireStep(ctx context.Context, db *hurrah.DB, s expiryStep) error {
	if s.at == 0 {
		_, err := db.Persist(ctx, s.key)
		return err
	}
	_, err := db.Expire(ctx, s.key, hurrah.Deadline(time.Unix(0, expiryStart+s.at*expiryUnit)))
	return err
}

// readExpiryState opens the store on fsys at the clock now and returns
// its keys, values and deadlines.
func readExpiryState(t testing.TB, fsys vfs.FS, now int64) map[string]expiryEntry {
	t.Helper()
	o := smallSegments(fsys)
	fsseam.SetClock(o, func() int64 { return now })
	db, err := hurrah.Open(harnessDir, o)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	got := map[string]expiryEntry{}
	for _, k := range keys {
		v, err := db.GetBytes(ctx, k)
		require.NoError(t, err)
		at, err := db.ExpiresAt(ctx, k)
		require.NoError(t, err)
		e := expiryEntry{value: string(v)}
		if !at.IsZero() {
			e.at = at.UnixNano()
		}
		got[k] = e
	}
	return got
}

// TestExpiryCrashPoints cuts the power before every file operation of the
// plan's run, in each crash mode, and checks each image as the comment at
// the top of this file says.
func TestExpiryCrashPoints(t *testing.T) {
	seeds := 1
	if harnessLong() {
		seeds = 4
	}
	var mu sync.Mutex
	points := 0
	removedSeen := false // some cut found keys the owner had removed
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for seed := range seeds {
				plan := expiryPlan(uint64(seed), 60)
				full := runExpiryCut(plan, 1<<30, vfs.CrashOptions{})
				require.NoError(t, full.err)
				r := rand.New(rand.NewPCG(uint64(seed), 0xe2))
				for at := 1; at <= full.ops; at++ {
					c := runExpiryCut(plan, at, mode.options(r))
					if c.img == nil {
						continue
					}
					where := fmt.Sprintf("seed %d, cut before operation %d", seed, at)
					got := readExpiryState(t, c.img, c.clock)
					k := -1
					for i := c.acked; i <= min(c.begun, len(plan)); i++ {
						if maps.Equal(got, expiryState(plan, i, c.clock)) {
							k = i
							break
						}
					}
					require.GreaterOrEqual(t, k, 0, "%s: keys %v are no prefix of %d to %d steps at the clock of the cut",
						where, slices.Sorted(maps.Keys(got)), c.acked, c.begun)
					back := readExpiryState(t, c.img, expiryStart)
					all := expiryState(plan, k, expiryStart)
					for key, e := range back {
						require.Equal(t, all[key], e, "%s: with the clock turned back, %q", where, key)
					}
					for key := range got {
						require.Contains(t, back, key, "%s", where)
					}
					mu.Lock()
					points++
					removedSeen = removedSeen || len(back) < len(all)
					mu.Unlock()
				}
			}
		})
	}
	t.Cleanup(func() {
		t.Logf("%d crash points checked", points)
		if !t.Failed() && !removedSeen {
			t.Errorf("no cut found a key the owner had removed: the plan expires nothing")
		}
	})
}
