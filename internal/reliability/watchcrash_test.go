package reliability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// watchRun is one run of the watch workload: a writer at Written, with a
// Sync every few writes and the journal rotating often, and a durable
// watcher reading the change feed from the first LSN.
type watchRun struct {
	from      uint64          // the LSN the watcher started at
	delivered []hurrah.Change // what the watcher was given
	ops       int             // file operations the run made
	cut       bool            // the power was cut
}

// runWatchCut runs the watch workload on fsys, cut by in (nil: no cut).
// The watcher starts before the write numbered late (0: before any), from
// the first LSN, or if late, from a few changes before the last applied:
// it finds those on disk only (no ring holds them), in the middle of the
// newest segment, and reads them with the journal's cursor from its seek
// marks.
func runWatchCut(t testing.TB, fsys vfs.FS, seed uint64, late int) watchRun {
	var r watchRun
	db, err := hurrah.Open(harnessDir, withFS(&hurrah.Options{SegmentSize: hurrah.MinSegmentSize, Durability: hurrah.Written}, fsys))
	if err != nil {
		return r // the power went during Open
	}
	// The watcher ends at the key "end", or with the journal's failure
	// once it has all that was synced before the power went; bound is a
	// failure bound.
	wctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var wg sync.WaitGroup
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		from := uint64(1)
		if a := db.Stats().AppliedLSN; late > 0 && a > 3 {
			from = a - 3
		}
		r.from = from
		wg.Add(1)
		go watchUntilEnd(wctx, t, db, from, &wg, &r)
	}
	rng := rand.New(rand.NewPCG(seed, 13))
	ctx := context.Background()
	for i := range 80 {
		if i == late {
			start()
		}
		k := fmt.Sprint("k", rng.IntN(12))
		var err error
		switch rng.IntN(6) {
		case 0:
			_, err = db.Delete(ctx, k)
		case 1:
			var b hurrah.Batch
			b.SetBytes(k, []byte(fmt.Sprint(i)))
			b.SetBytes(k+"b", make([]byte, rng.IntN(300)))
			err = db.Write(ctx, &b)
		default:
			err = db.SetBytes(ctx, k, make([]byte, rng.IntN(200)))
		}
		if err == nil && i%5 == 4 {
			err = db.Sync(ctx)
		}
		if err != nil {
			break
		}
	}
	start() // if the writes stopped before late
	if db.SetBytes(ctx, "end", nil) == nil {
		db.Sync(ctx) // an error here fails the journal, which ends the watcher
	}
	wg.Wait()
	db.Close() // fails after a cut
	return r
}

// watchUntilEnd is runWatchCut's durable watcher, from LSN from: it
// records what it is given in r until the key "end" or an error.
func watchUntilEnd(ctx context.Context, t testing.TB, db *hurrah.DB, from uint64, wg *sync.WaitGroup, r *watchRun) {
	defer wg.Done()
	for c, err := range db.Watch(ctx, from, &hurrah.WatchOptions{Durable: true}) {
		if errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the watcher was stuck after %d changes", len(r.delivered))
		}
		if err != nil {
			return // the power went: the journal failed
		}
		r.delivered = append(r.delivered, c)
		if c.Key == "end" {
			return
		}
	}
}

// TestWatchCrashPoints cuts the power before every file operation of a run
// in which a durable watcher follows a writer, in every crash mode: every
// change the watcher was given must be in the recovered store, in the same
// place of its history (a watch of the reopened store from the start
// reports it again, identically). The watcher starts before the first
// write, or after half of them ("late"), a few changes back: then it reads
// those from disk, through the journal's seek marks, while the writer
// goes on.
func TestWatchCrashPoints(t *testing.T) {
	for _, v := range []struct {
		name string
		late int
	}{{"from the start", 0}, {"late", 40}} {
		t.Run(v.name, func(t *testing.T) { watchCrashPoints(t, v.late) })
	}
}

// watchCrashPoints is TestWatchCrashPoints with the watcher starting
// before write late.
func watchCrashPoints(t *testing.T, late int) {
	var count vfs.Injector
	full := runWatchCut(t, &vfs.Faulty{FS: vfs.NewMem(), Inject: count.Inject}, 1, late)
	require.NotEmpty(t, full.delivered)
	ops := count.Count()
	var mu sync.Mutex
	points, given := 0, 0
	for _, mode := range crashModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(7, 7))
			for at := 1; at <= ops; at++ {
				live := vfs.NewMem()
				var img *vfs.Mem
				in := cutPower(at, func() { img = live.Crash(mode.options(r)) })
				run := runWatchCut(t, &vfs.Faulty{FS: live, Inject: in.Inject}, 1, late)
				if img == nil {
					continue // the run made fewer operations this time
				}
				where := fmt.Sprintf("a power cut before operation %d, %s", at, in.Failed())
				requireWatchedKept(t, img, run.from, run.delivered, where)
				mu.Lock()
				points++
				given += len(run.delivered)
				mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: watch crash points (watcher from write %d): %d power cuts under a durable watcher, %d changes given, none missing after recovery", late, points, given)
		}
	})
}

// requireWatchedKept reopens img and requires a watch of it from LSN from
// to report delivered again, exactly.
func requireWatchedKept(t testing.TB, img *vfs.Mem, from uint64, delivered []hurrah.Change, where string) {
	t.Helper()
	db, err := hurrah.Open(harnessDir, smallSegments(img.Crash(vfs.CrashOptions{})))
	require.NoError(t, err, where)
	defer db.Close()
	if len(delivered) == 0 {
		return
	}
	last := delivered[len(delivered)-1].LSN
	require.GreaterOrEqual(t, db.Recovery().LastLSN, last, "%s: the watcher was given LSN %d", where, last)
	// The store holds LSN last: the watch reaches it, or ends at bound.
	ctx, cancel := context.WithTimeout(t.Context(), bound)
	defer cancel()
	var again []hurrah.Change
	for c, err := range db.Watch(ctx, from, nil) {
		require.NoError(t, err, where)
		if c.LSN > last {
			break
		}
		if again = append(again, c); len(again) == len(delivered) {
			break
		}
	}
	require.Equal(t, delivered, again, where)
}
