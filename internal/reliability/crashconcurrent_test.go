package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestCrashPointsConcurrent cuts the power before every file operation of a
// run in which four goroutines write at once: at the Synced level, so that
// their writes share fsyncs (group commit), with the first writer calling
// Snapshot now and then and automatic snapshots besides, and at the Written
// level with a fifth goroutine calling Sync in a loop, and every eighth
// time Snapshot, so that writes go on while an fsync or a snapshot runs.
// Each writer sets its own keys in order; after every crash each writer's
// keys must be a prefix of its sequence holding every write that was
// promised: acknowledged at Synced, covered by a Sync or Snapshot that
// returned at Written.
func TestCrashPointsConcurrent(t *testing.T) {
	const writers = 4
	perWriter, seeds := 10, 1
	if harnessLong() {
		perWriter, seeds = 40, 16
	}
	var points, snapPoints int
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written} {
		for _, mode := range crashModes {
			t.Run(fmt.Sprintf("%v/%s", level, mode.name), func(t *testing.T) {
				for seed := range seeds {
					r := rand.New(rand.NewPCG(uint64(seed), 99))
					for at := 1; ; at++ {
						img, lo, hi, cut := crashConcurrent(t, level, writers, perWriter, at, mode.options(r))
						if img == nil {
							require.Greater(t, at, writers*perWriter/2, "the run ended early")
							break
						}
						where := fmt.Sprintf("a power cut before file operation %d, %s (seed %d)", at, cut, seed)
						db, err := hurrah.Open(harnessDir, smallSegments(img))
						require.NoError(t, err, where)
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
								require.Equal(t, writerValue(w, k), v, where)
							}
							require.True(t, int64(k) >= lo[w] && int64(k) <= hi[w],
								"%s: writer %d kept %d writes, want %d to %d", where, w, k, lo[w], hi[w])
							n += k
						}
						require.Len(t, got, n, "%s: keys beyond some writer's prefix", where)
						points++
						if snapshotOp(cut) {
							snapPoints++
						}
					}
				}
			})
		}
	}
	if !t.Failed() {
		t.Logf("figure: crash points, concurrent: %d crash points (%d writers at Synced with Snapshots and automatic ones, and at Written with Syncs and Snapshots; 3 modes; %d of them on an operation of a snapshot), 0 acknowledged writes lost", points, writers, snapPoints)
	}
}

func writerKey(w, k int) string   { return fmt.Sprintf("w%d-%03d", w, k) }
func writerValue(w, k int) string { return fmt.Sprintf("%s=%0200d", writerKey(w, k), k) }

// crashConcurrent runs writers goroutines that each Set perWriter keys in
// order at level (at Synced, the first one calling Snapshot after every
// sixth; at Written, with a goroutine calling Sync, or every eighth time
// Snapshot, in a loop), cuts
// the power before file operation at, and returns the image and, per
// writer, the writes promised before the cut and those begun by then, and
// the operation cut, as "op name".
func crashConcurrent(t *testing.T, level hurrah.Durability, writers, perWriter, at int, opts vfs.CrashOptions) (img *vfs.Mem, lo, hi []int64, cut string) {
	t.Helper()
	ctx := context.Background()
	m := vfs.NewMem()
	acked := make([]atomic.Int64, writers)
	durable := make([]atomic.Int64, writers)
	issued := make([]atomic.Int64, writers)
	in := cutPower(at, func() {
		lo, hi = make([]int64, writers), make([]int64, writers)
		for w := range writers {
			lo[w] = durable[w].Load()
		}
		img = m.Crash(opts)
		for w := range writers {
			hi[w] = issued[w].Load()
		}
	})
	dbOpts := withFS(&hurrah.Options{Durability: level, SegmentSize: hurrah.MinSegmentSize, KeepSnapshots: 1}, &vfs.Faulty{FS: m, Inject: in.Inject})
	if level == hurrah.Synced {
		dbOpts.SnapshotThreshold = 3 << 10
	}
	db, err := hurrah.Open(harnessDir, dbOpts)
	if err != nil {
		return img, lo, hi, in.Failed()
	}
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := range writers {
		wg.Go(func() {
			for k := range perWriter {
				issued[w].Add(1)
				if db.SetBytes(ctx, writerKey(w, k), []byte(writerValue(w, k))) != nil {
					return
				}
				acked[w].Add(1)
				if level == hurrah.Synced {
					durable[w].Add(1)
					if w == 0 && k%6 == 5 && db.Snapshot(ctx) != nil {
						return
					}
				}
			}
		})
	}
	var syncer sync.WaitGroup
	if level != hurrah.Synced {
		syncer.Go(func() {
			snap := make([]int64, writers)
			for i := 0; !done.Load(); i++ {
				for w := range writers {
					snap[w] = acked[w].Load()
				}
				call := db.Sync
				if i%8 == 7 {
					call = db.Snapshot
				}
				if call(ctx) != nil {
					return
				}
				for w := range writers {
					durable[w].Store(snap[w])
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	syncer.Wait()
	db.Close()
	return img, lo, hi, in.Failed()
}

// TestReopenMatchesLiveState has eight goroutines overwrite a few shared
// keys at once, so that writes to one key often meet in one owner batch and
// one journal frame, then reads the whole store, closes it and reopens it,
// ten times over: the journal must replay the writes in the order the store
// applied them, at every level.
func TestReopenMatchesLiveState(t *testing.T) {
	const writers, rounds, each = 8, 10, 50
	for _, level := range []hurrah.Durability{hurrah.Buffered, hurrah.Written, hurrah.Synced} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			opts := withFS(&hurrah.Options{Durability: level}, vfs.NewMem())
			live := map[string]string{}
			for round := range rounds {
				db, err := hurrah.Open(harnessDir, opts)
				require.NoError(t, err)
				require.Equal(t, live, storeContents(t, db), "round %d: the reopened store differs from what was read before Close", round)
				require.Equal(t, uint64(round*writers*each), db.Recovery().Records)
				var wg sync.WaitGroup
				for w := range writers {
					wg.Go(func() {
						for i := range each {
							key := fmt.Sprintf("shared-%d", (w+i)%3)
							if err := db.SetBytes(ctx, key, []byte(fmt.Sprintf("r%d-w%d-%d", round, w, i))); err != nil {
								t.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				live = storeContents(t, db)
				require.NoError(t, db.Close())
			}
		})
	}
	if !t.Failed() {
		t.Logf("figure: replay order: 3 levels x %d rounds x %d concurrent writes to 3 keys, every reopen equal to the store before Close", rounds, writers*each)
	}
}
