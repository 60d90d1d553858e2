package hurrah

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

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

// powerCut is a Faulty.Inject function that cuts the power just before the
// file operation numbered at (from 1): it calls image there, then fails
// that operation and every later one.
type powerCut struct {
	at    int
	image func()

	mu sync.Mutex
	n  int // operations seen
}

func (c *powerCut) inject(vfs.Op, string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.n == c.at {
		c.image()
	}
	if c.n >= c.at {
		return errPowerLost
	}
	return nil
}

// crashImage runs p on a fresh in-memory file system and cuts the power
// just before the file operation numbered at (from 1): it returns what the
// disk would hold, and the bounds a recovery must land between: every
// operation the level had promised to keep by then, and no operation that
// had not begun. It returns nil if the run ended before that operation.
func crashImage(t testing.TB, p plan, level Durability, at int, opts vfs.CrashOptions) (img *vfs.Mem, lo, hi int64) {
	t.Helper()
	m := vfs.NewMem()
	var pr progress
	cut := &powerCut{at: at, image: func() {
		// Read the promise before the image: a write counted there had
		// its fsync done before the image is taken.
		lo = pr.durable.Load()
		img = m.Crash(opts)
		hi = pr.issued.Load()
	}}
	if r := runPlan(p, &vfs.Faulty{FS: m, Inject: cut.inject}, level, &pr); r.db != nil {
		r.db.Close() // fails too: the power is off
	}
	return img, lo, hi
}

// TestCrashPoints cuts the power before every file operation of a workload
// (two sessions with a reopen between them, segment rotations, Syncs and
// Closes), keeping only what was synced, or that plus a random part of the
// rest, torn or not. Reopening each image must give the state after a
// prefix of the workload holding every write that was acknowledged at the
// Synced level, or covered by a Sync or Close that returned at the others.
// Where recovery cut a torn tail, the power is cut again before each file
// operation of that recovery, and the result checked the same way.
func TestCrashPoints(t *testing.T) {
	// The short version crashes into every 8th recovery that cuts a torn
	// tail; the long one into all of them.
	seeds, n, nestEvery := 1, 45, 8
	if harnessLong() {
		seeds, n, nestEvery = 8, 120, 1
	}
	var points, images, nested, torn, maxExtra int
	var mu sync.Mutex
	for _, level := range []Durability{Synced, Written, Buffered} {
		for _, mode := range crashModes {
			t.Run(fmt.Sprintf("%v/%s", level, mode.name), func(t *testing.T) {
				t.Parallel()
				p := newPlan(uint64(level), n)
				ops := countOps(t, p, level)
				t.Logf("%d file operations in a run", ops)
				modeSeeds := seeds
				if !mode.random {
					modeSeeds = 1 // nothing random to vary
				}
				for seed := range modeSeeds {
					r := rand.New(rand.NewPCG(uint64(seed), uint64(level)))
					// A Buffered run batches writes as the goroutines
					// happen to meet, so its count of file operations
					// varies: go on until a run ends before the point.
					for at := 1; ; at++ {
						opts := vfs.CrashOptions{}
						if mode.random {
							opts = vfs.CrashOptions{Rand: r, Tear: mode.tear}
						}
						img, lo, hi := crashImage(t, p, level, at, opts)
						if img == nil {
							require.Greater(t, at, ops/2, "the run ended early")
							break
						}
						got, rec := checkCrashImage(t, p, img, lo, hi, fmt.Sprintf("seed %d, crash before op %d", seed, at))
						extra, cut, again := got-int(lo), 0, 0
						if rec.TornTail != nil {
							cut = 1
							mu.Lock()
							nest := torn%nestEvery == 0
							mu.Unlock()
							if nest {
								again = crashRecovery(t, p, img, lo, hi, r)
							}
						}
						mu.Lock()
						points++
						images += 1 + again
						nested += again
						torn += cut
						maxExtra = max(maxExtra, extra)
						mu.Unlock()
					}
				}
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: crash points: %d crash points (3 levels x 3 modes x seeds), %d images reopened (%d of them crashes during recovery), %d torn tails cut, 0 acknowledged writes lost, at most %d unpromised operations kept",
				points, images, nested, torn, maxExtra)
		}
	})
}

// checkCrashImage reopens a copy of img and checks it holds a prefix of p
// between lo and hi operations; it also checks the store takes a write after
// recovery and keeps it across a clean reopen.
func checkCrashImage(t testing.TB, p plan, img *vfs.Mem, lo, hi int64, where string) (int, Recovery) {
	t.Helper()
	fsys := img.Crash(vfs.CrashOptions{}) // a copy: img is all synced
	got, rec := requirePrefix(t, p, fsys, lo, hi)
	if t.Failed() {
		t.Fatalf("at %s", where)
	}
	db, err := Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: fsys})
	require.NoError(t, err, where)
	require.NoError(t, db.SetBytes(t.Context(), "after-crash", []byte(where)), where)
	require.NoError(t, db.Close(), where)
	db, err = Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: fsys})
	require.NoError(t, err, where)
	b, err := db.GetBytes(t.Context(), "after-crash")
	require.NoError(t, err, where)
	require.Equal(t, where, string(b))
	require.Nil(t, db.Recovery().TornTail, "a clean close leaves no torn tail (%s)", where)
	require.NoError(t, db.Close())
	return got, rec
}

// crashRecovery cuts the power before each file operation of the recovery
// of img (which cuts a torn tail) and checks each resulting image. It
// returns how many images it checked.
func crashRecovery(t testing.TB, p plan, img *vfs.Mem, lo, hi int64, r *rand.Rand) int {
	t.Helper()
	var count vfs.Injector
	db, err := Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: &vfs.Faulty{FS: img.Crash(vfs.CrashOptions{}), Inject: count.Inject}})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	checked := 0
	for at := 1; at <= count.Count(); at++ {
		fsys := img.Crash(vfs.CrashOptions{})
		var again *vfs.Mem
		cut := &powerCut{at: at, image: func() { again = fsys.Crash(vfs.CrashOptions{Rand: r}) }}
		db, err := Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: &vfs.Faulty{FS: fsys, Inject: cut.inject}})
		if err == nil {
			db.Close() // the power went during Close's own operations
		}
		if again == nil { // every goroutine that could set it has ended
			continue
		}
		checkCrashImage(t, p, again, lo, hi, fmt.Sprintf("crash %d into recovery", at))
		checked++
	}
	return checked
}

// TestCrashPointsConcurrent cuts the power before every file operation of a
// run in which several goroutines write at the Synced level at once, so
// their writes share fsyncs (group commit). Each writer sets its own keys
// in order; after every crash each writer's keys must be a prefix of its
// sequence that holds every write it saw acknowledged.
func TestCrashPointsConcurrent(t *testing.T) {
	const writers = 4
	perWriter, seeds := 12, 1
	if harnessLong() {
		perWriter, seeds = 40, 16
	}
	var points int
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			for seed := range seeds {
				r := rand.New(rand.NewPCG(uint64(seed), 99))
				for at := 1; ; at++ {
					opts := vfs.CrashOptions{}
					if mode.random {
						opts = vfs.CrashOptions{Rand: r, Tear: mode.tear}
					}
					img, lo, hi := crashConcurrent(t, writers, perWriter, at, opts)
					if img == nil {
						require.Greater(t, at, writers*perWriter/2, "the run ended early")
						break
					}
					db, err := Open(harnessDir, &Options{SegmentSize: MinSegmentSize, fs: img})
					require.NoError(t, err, "crash before op %d", at)
					got := storeContents(t, db)
					require.NoError(t, db.Close())
					n := 0
					for w := range writers {
						k := 0
						for ; ; k++ {
							v, ok := got[writerKey(w, k)]
							if !ok {
								break
							}
							require.Equal(t, writerValue(w, k), v)
						}
						require.True(t, int64(k) >= lo[w] && int64(k) <= hi[w],
							"crash before op %d: writer %d kept %d writes, want %d to %d", at, w, k, lo[w], hi[w])
						n += k
					}
					require.Len(t, got, n, "crash before op %d: keys beyond some writer's prefix", at)
					points++
				}
			}
		})
	}
	t.Logf("figure: crash points, concurrent: %d crash points (%d Synced writers, 3 modes), 0 acknowledged writes lost", points, writers)
}

func writerKey(w, k int) string   { return fmt.Sprintf("w%d-%03d", w, k) }
func writerValue(w, k int) string { return fmt.Sprintf("%s=%0200d", writerKey(w, k), k) }

// crashConcurrent runs writers goroutines that each Set perWriter keys in
// order at the Synced level, cuts the power before file operation at, and
// returns the image and, per writer, the writes acknowledged before the cut
// and those begun by then.
func crashConcurrent(t *testing.T, writers, perWriter, at int, opts vfs.CrashOptions) (img *vfs.Mem, lo, hi []int64) {
	t.Helper()
	m := vfs.NewMem()
	acked := make([]atomic.Int64, writers)
	issued := make([]atomic.Int64, writers)
	cut := &powerCut{at: at, image: func() {
		lo, hi = make([]int64, writers), make([]int64, writers)
		for w := range writers {
			lo[w] = acked[w].Load()
		}
		img = m.Crash(opts)
		for w := range writers {
			hi[w] = issued[w].Load()
		}
	}}
	db, err := Open(harnessDir, &Options{Durability: Synced, SegmentSize: MinSegmentSize, fs: &vfs.Faulty{FS: m, Inject: cut.inject}})
	if err != nil {
		return img, make([]int64, writers), make([]int64, writers)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range perWriter {
				issued[w].Add(1)
				if db.SetBytes(context.Background(), writerKey(w, k), []byte(writerValue(w, k))) != nil {
					return
				}
				acked[w].Add(1)
			}
		})
	}
	wg.Wait()
	db.Close()
	return img, lo, hi
}
