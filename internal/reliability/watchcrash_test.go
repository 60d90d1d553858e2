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
	delivered []hurrah.Change // what the watcher was given
	ops       int             // file operations the run made
	cut       bool            // the power was cut
}

// runWatchCut runs the watch workload on fsys, cut by in (nil: no cut).
func runWatchCut(t testing.TB, fsys vfs.FS, seed uint64) watchRun {
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
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c, err := range db.Watch(wctx, 1, &hurrah.WatchOptions{Durable: true}) {
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
	}()
	rng := rand.New(rand.NewPCG(seed, 13))
	ctx := context.Background()
	for i := range 80 {
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
	if db.SetBytes(ctx, "end", nil) == nil {
		db.Sync(ctx) // an error here fails the journal, which ends the watcher
	}
	wg.Wait()
	db.Close() // fails after a cut
	return r
}

// TestWatchCrashPoints cuts the power before every file operation of a run
// in which a durable watcher follows a writer, in every crash mode: every
// change the watcher was given must be in the recovered store, in the same
// place of its history (a watch of the reopened store from the start
// reports it again, identically).
func TestWatchCrashPoints(t *testing.T) {
	var count vfs.Injector
	full := runWatchCut(t, &vfs.Faulty{FS: vfs.NewMem(), Inject: count.Inject}, 1)
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
				run := runWatchCut(t, &vfs.Faulty{FS: live, Inject: in.Inject}, 1)
				if img == nil {
					continue // the run made fewer operations this time
				}
				where := fmt.Sprintf("a power cut before operation %d, %s", at, in.Failed())
				requireWatchedKept(t, img, run.delivered, where)
				mu.Lock()
				points++
				given += len(run.delivered)
				mu.Unlock()
			}
		})
	}
	t.Cleanup(func() {
		if !t.Failed() {
			t.Logf("figure: watch crash points: %d power cuts under a durable watcher, %d changes given, none missing after recovery", points, given)
		}
	})
}

// requireWatchedKept reopens img and requires a watch of it from the
// first LSN to report delivered again, exactly.
func requireWatchedKept(t testing.TB, img *vfs.Mem, delivered []hurrah.Change, where string) {
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
	for c, err := range db.Watch(ctx, 1, nil) {
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
