package apibench

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
)

// Benchmarks for the snapshot figures of the Targets table in DESIGN.md:
// restart time, the owner's pause while snapshotting, and disk use after
// overwrites. Run them with, for example:
//
//	cd bench && go test -run '^$' -bench 'Restart|SnapshotPause|DiskAfterOverwrite' -benchtime 3x -timeout 30m ./apibench
//
// Each builds its data once per run, outside the timer, on the real disk
// (b.TempDir), and reports its figures with b.ReportMetric; the targets are
// given in the comments, never asserted. The data has the shape of the
// other benchmarks: 16-byte keys (benchKey) and 100-byte values
// (benchValue), written with SetBytes.

const (
	bigKeys       = 1_000_000 // keys in BenchmarkRestart and BenchmarkSnapshotPause
	bigTailWrites = 10_000    // writes after the snapshot in BenchmarkRestart
	recordBytes   = 16 + benchValueLen
	fillWorkers   = 8 // goroutines that load a store, so writes share journal batches
)

// fillKeys sets keys 0..n-1 with SetBytes from fillWorkers goroutines, key i
// to benchValue(i+round), so that each round changes every value.
func fillKeys(b *testing.B, db *hurrah.DB, n, round int) {
	b.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, fillWorkers)
	for w := range fillWorkers {
		wg.Go(func() {
			for i := w; i < n; i += fillWorkers {
				if err := db.SetBytes(ctx, benchKey(i), benchValue(i+round)); err != nil {
					errs <- fmt.Errorf("set key %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// readMetrics reads runtime/metrics samples. Unlike runtime.ReadMemStats it
// does not stop the world, so a goroutine may sample it often while
// latencies are measured.
func readMetrics(s []metrics.Sample) []metrics.Sample {
	metrics.Read(s)
	return s
}

const (
	heapObjectsMetric = "/memory/classes/heap/objects:bytes" // like HeapAlloc
	heapAllocsMetric  = "/gc/heap/allocs:bytes"              // like TotalAlloc
	gcCyclesMetric    = "/gc/cycles/total:gc-cycles"
)

// memSnapshot is the heap as runtime/metrics reports it.
type memSnapshot struct {
	objects, allocs, gcs uint64
}

func readMem() memSnapshot {
	s := readMetrics([]metrics.Sample{{Name: heapObjectsMetric}, {Name: heapAllocsMetric}, {Name: gcCyclesMetric}})
	return memSnapshot{objects: s[0].Value.Uint64(), allocs: s[1].Value.Uint64(), gcs: s[2].Value.Uint64()}
}

// heapSampler samples the bytes in heap objects every millisecond and keeps
// the largest.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan uint64, 1)}
	go func() {
		s := []metrics.Sample{{Name: heapObjectsMetric}}
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, readMetrics(s)[0].Value.Uint64())
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop returns the largest sample.
func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	return <-h.done
}

// restartOptions are the options every timed Open uses: no automatic
// snapshot, so that the directories stay as they were built.
var restartOptions = hurrah.Options{SnapshotThreshold: -1}

// buildRestartDir fills dir with bigKeys keys and closes the store. With
// snapshot, it then takes a snapshot and overwrites the first bigTailWrites
// keys, so that recovery reads the snapshot and a short journal; without,
// recovery replays a journal of bigKeys records. Either way the store holds
// bigKeys keys. The store is loaded at Buffered (the journal is the same as
// at Written) and Close syncs it.
func buildRestartDir(b *testing.B, dir string, n int, snapshot bool) {
	b.Helper()
	db, err := hurrah.Open(dir, &hurrah.Options{Durability: hurrah.Buffered, SnapshotThreshold: -1})
	if err != nil {
		b.Fatal(err)
	}
	fillKeys(b, db, n, 0)
	if snapshot {
		if err := db.Snapshot(context.Background()); err != nil {
			db.Close()
			b.Fatal(err)
		}
		fillKeys(b, db, bigTailWrites, 1)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
}

// openRestart opens dir, times the Open alone (wall clock and the
// process's CPU time), and checks that recovery found what buildRestartDir
// left: records replayed from the journal and, for a snapshot directory,
// the keys restored from the snapshot.
func openRestart(b *testing.B, dir string, n int, snapshot bool) (*hurrah.DB, openTime) {
	b.Helper()
	opts := restartOptions
	t0, c0 := time.Now(), processCPU()
	db, err := hurrah.Open(dir, &opts)
	d := openTime{time.Since(t0), processCPU() - c0}
	if err != nil {
		b.Fatal(err)
	}
	rec := db.Recovery()
	wantRecords, wantKeys := uint64(n), 0
	if snapshot {
		wantRecords, wantKeys = bigTailWrites, n
	}
	if rec.Records != wantRecords || rec.SnapshotKeys != wantKeys {
		db.Close()
		b.Fatalf("%s: replayed %d records and restored %d keys from a snapshot, want %d and %d",
			dir, rec.Records, rec.SnapshotKeys, wantRecords, wantKeys)
	}
	return db, d
}

// openTime is how long an Open took by the clock and in CPU time.
type openTime struct{ wall, cpu time.Duration }

func (t *openTime) add(u openTime) { t.wall, t.cpu = t.wall+u.wall, t.cpu+u.cpu }

// closeRestart closes db, checks it held bigKeys keys, and collects the
// garbage, so that the next Open starts from the same heap.
func closeRestart(b *testing.B, db *hurrah.DB, want int) {
	b.Helper()
	n, err := db.Len(context.Background())
	if err == nil && n != want {
		err = fmt.Errorf("store holds %d keys, want %d", n, want)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
}

// BenchmarkRestart times Open of a store of n keys (16-byte keys, 100-byte
// values) for n = 100k, 1M, 4M and 8M: from the journal alone (n records
// replayed) and from a snapshot of the n keys plus a journal of 10k
// overwrites. A size's two directories are built once per run, outside the
// timer, only when its sub-benchmark is selected (-bench 'Restart/keys=1M$');
// each iteration opens each once, in turn, and only the Opens are timed
// (ns/op is the two together). The files are in the page cache (they were
// just written or read), so this is Open without disk reads. ns/record
// shows how the cost of a record grows with the store.
//
// Targets: journal-keys/s ≥ 1M at 1M; snap/journal ≥ 1.5; journal
// ns/record and snap ns/key at 4M ≤ 1.2× those at 1M. bench/plots/restart.png
// draws them (go run ./bench -restart-plot FILE, FILE this benchmark's
// output).
func BenchmarkRestart(b *testing.B) {
	root := b.TempDir()
	for _, size := range []struct {
		name string
		n    int
	}{{"100k", 100_000}, {"1M", bigKeys}, {"4M", 4_000_000}, {"8M", 8_000_000}} {
		var jdir, sdir string
		b.Run("keys="+size.name, func(b *testing.B) {
			if jdir == "" { // the first call of this sub-benchmark builds
				jdir, sdir = filepath.Join(root, size.name+"-journal"), filepath.Join(root, size.name+"-snapshot")
				buildRestartDir(b, jdir, size.n, false)
				buildRestartDir(b, sdir, size.n, true)
				for _, dir := range []string{jdir, sdir} {
					mb, _, _ := dirUsage(b, dir)
					b.Logf("%s: %.1f MB on disk", filepath.Base(dir), float64(mb)/1e6)
				}
			}
			timeRestarts(b, jdir, sdir, size.n)
		})
		if jdir != "" { // a larger size needs the disk and page cache more
			os.RemoveAll(jdir)
			os.RemoveAll(sdir)
		}
	}
}

// timeRestarts opens the journal directory jdir and the snapshot directory
// sdir, both holding n keys, b.N times each and reports the rates.
func timeRestarts(b *testing.B, jdir, sdir string, n int) {
	// One untimed Open of each first: it reads the files into the page
	// cache and settles the heap.
	db, _ := openRestart(b, jdir, n, false)
	closeRestart(b, db, n)
	db, _ = openRestart(b, sdir, n, true)
	closeRestart(b, db, n)
	var jt, st openTime
	b.ResetTimer()
	b.StopTimer()
	for range b.N {
		b.StartTimer()
		db, d := openRestart(b, jdir, n, false)
		b.StopTimer()
		jt.add(d)
		closeRestart(b, db, n)

		b.StartTimer()
		db, d = openRestart(b, sdir, n, true)
		b.StopTimer()
		st.add(d)
		closeRestart(b, db, n)
	}
	runs := float64(b.N)
	jrate := float64(n) / (jt.wall.Seconds() / runs)
	srate := float64(n) / (st.wall.Seconds() / runs)
	b.ReportMetric(jt.wall.Seconds()*1e3/runs, "journal-ms")
	b.ReportMetric(st.wall.Seconds()*1e3/runs, "snap-ms")
	b.ReportMetric(jrate, "journal-keys/s")
	b.ReportMetric(srate, "snap-keys/s")
	b.ReportMetric(1e9/jrate, "journal-ns/record")
	b.ReportMetric(1e9/srate, "snap-ns/key")
	b.ReportMetric(srate/jrate, "snap/journal")
	if jt.cpu > 0 { // CPU time per record: steadier than the clock on a shared machine
		b.ReportMetric(float64(jt.cpu.Nanoseconds())/runs/float64(n), "journal-cpu-ns/record")
		b.ReportMetric(float64(st.cpu.Nanoseconds())/runs/float64(n), "snap-cpu-ns/key")
	}
}

// loadGen is g goroutines that send Get and Set requests for random keys of
// the bigKeys, half each, in a loop, and record each request's latency.
type loadGen struct {
	stopped atomic.Bool
	served  atomic.Int64 // requests answered so far
	wg      sync.WaitGroup
	lat     [][]time.Duration
	errs    chan error
}

func startLoad(db *hurrah.DB, g int, seed uint64) *loadGen {
	l := &loadGen{lat: make([][]time.Duration, g), errs: make(chan error, g)}
	ctx := context.Background()
	for w := range g {
		l.wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			value := benchValue(w)
			lat := make([]time.Duration, 0, 1<<18)
			for !l.stopped.Load() {
				key := benchKey(rng.IntN(bigKeys))
				get := rng.IntN(2) == 0
				var err error
				t0 := time.Now()
				if get {
					_, err = db.GetBytes(ctx, key)
				} else {
					err = db.SetBytes(ctx, key, value)
				}
				lat = append(lat, time.Since(t0))
				l.served.Add(1)
				if err != nil {
					l.errs <- err
					break
				}
			}
			l.lat[w] = lat
		})
	}
	return l
}

// WaitServed waits until the goroutines have been answered n times, so
// that they are running and have written since the last snapshot (a
// Snapshot of a state already saved returns at once).
func (l *loadGen) WaitServed(n int64) {
	for l.served.Load() < n && len(l.errs) == 0 {
		time.Sleep(100 * time.Microsecond)
	}
}

// Stop stops the goroutines and returns every latency they recorded,
// sorted.
func (l *loadGen) Stop(b *testing.B) []time.Duration {
	b.Helper()
	l.stopped.Store(true)
	l.wg.Wait()
	close(l.errs)
	if err := <-l.errs; err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(l.lat...)
	slices.Sort(all)
	if len(all) == 0 {
		b.Fatal("no requests were served")
	}
	return all
}

// quantile returns the q-quantile of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// foldTail is how long the load goes on after Snapshot returns, so that
// the window also covers the owner folding the changes kept aside during the
// snapshot back into its map.
const foldTail = 250 * time.Millisecond

// pauseLoadGoroutines is how many goroutines send requests while the
// snapshot runs.
const pauseLoadGoroutines = 4

// openLoaded opens a store in a temporary directory, without automatic
// snapshots, loads bigKeys keys, and closes it when b ends.
func openLoaded(b *testing.B) *hurrah.DB {
	b.Helper()
	db, err := hurrah.Open(b.TempDir(), &hurrah.Options{SnapshotThreshold: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	})
	t0 := time.Now()
	fillKeys(b, db, bigKeys, 0)
	b.Logf("loaded %d keys in %v", bigKeys, time.Since(t0).Round(time.Millisecond))
	return db
}

// BenchmarkSnapshotPause measures what a snapshot of 1M keys costs the
// requests served meanwhile. The store is loaded once per run. Each
// iteration:
//
//  1. starts pauseLoadGoroutines goroutines sending Get and Set requests
//     and calls Snapshot (the timed part: ns/op is the snapshot's
//     duration), letting the load run foldTail longer, and records each
//     request's latency;
//  2. runs the same load, without a snapshot, for a window of the same
//     length, as the baseline;
//  3. takes a snapshot with no load, to see the heap the snapshot alone
//     needs.
//
// It reports the longest and the 99th-percentile latency in both windows
// and their ratios, Stats().MaxPause (the longest owner step spent on
// images, over every snapshot of the run), and the heap: the growth of the
// bytes in heap objects (peak sampled every millisecond, less the value
// before, after a GC) and the bytes allocated, as fractions of the data
// (1M × 116 B). A second copy of the data would show as ≥ 1.
//
// The back-to-back sub-benchmark, on a store of its own, calls Snapshot
// twice under the same load, the second while the first is being saved, and
// reports the same latencies and MaxPause.
//
// Target: owner-pause-ms ≤ 5. Latencies are wall times: on a machine busy
// with other work they include the time the OS ran something else, and so
// does MaxPause.
func BenchmarkSnapshotPause(b *testing.B) {
	ctx := context.Background()
	db := openLoaded(b)
	data := float64(bigKeys * recordBytes)

	b.Run(fmt.Sprintf("keys=1M/g=%d", pauseLoadGoroutines), func(b *testing.B) {
		var (
			snapTime, quietTime                 time.Duration
			snapMax, snapP99, baseMax, baseP99  time.Duration
			snapReqs, baseReqs                  int
			snapGrowth, baseGrowth, quietGrowth float64
			snapAlloc, baseAlloc, quietAlloc    float64
			snapGCs, baseGCs                    uint64
		)
		growth := func(peak uint64, before memSnapshot) float64 {
			return float64(int64(peak)-int64(before.objects)) / data
		}
		b.ResetTimer()
		b.StopTimer()
		for i := range b.N {
			// 1. A snapshot under load.
			runtime.GC()
			before := readMem()
			heap := startHeapSampler()
			load := startLoad(db, pauseLoadGoroutines, uint64(2*i+1))
			load.WaitServed(100 * pauseLoadGoroutines)
			taken := db.Stats().Snapshots
			t0 := time.Now()
			b.StartTimer()
			err := db.Snapshot(ctx)
			b.StopTimer()
			d := time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if db.Stats().Snapshots != taken+1 {
				b.Fatal("Snapshot under load saved no snapshot")
			}
			time.Sleep(foldTail)
			lat := load.Stop(b)
			peak := heap.Stop()
			after := readMem()
			snapTime += d
			snapMax = max(snapMax, lat[len(lat)-1])
			snapP99 += quantile(lat, 0.99)
			snapReqs += len(lat)
			snapGrowth = max(snapGrowth, growth(peak, before))
			snapAlloc += float64(after.allocs-before.allocs) / data
			snapGCs += after.gcs - before.gcs

			// 2. The same load for as long, without a snapshot.
			runtime.GC()
			before = readMem()
			heap = startHeapSampler()
			load = startLoad(db, pauseLoadGoroutines, uint64(2*i+2))
			time.Sleep(d + foldTail)
			lat = load.Stop(b)
			peak = heap.Stop()
			after = readMem()
			baseMax = max(baseMax, lat[len(lat)-1])
			baseP99 += quantile(lat, 0.99)
			baseReqs += len(lat)
			baseGrowth = max(baseGrowth, growth(peak, before))
			baseAlloc += float64(after.allocs-before.allocs) / data
			baseGCs += after.gcs - before.gcs

			// 3. A snapshot with no load (the writes of step 2 make it
			// take one).
			runtime.GC()
			before = readMem()
			heap = startHeapSampler()
			taken = db.Stats().Snapshots
			t0 = time.Now()
			if err := db.Snapshot(ctx); err != nil {
				b.Fatal(err)
			}
			quietTime += time.Since(t0)
			if db.Stats().Snapshots != taken+1 {
				b.Fatal("Snapshot with no load saved no snapshot")
			}
			peak = heap.Stop()
			after = readMem()
			quietGrowth = max(quietGrowth, growth(peak, before))
			quietAlloc += float64(after.allocs-before.allocs) / data
		}
		st := db.Stats()
		if st.SnapshotsFailed > 0 {
			b.Fatalf("%d snapshots failed: %v", st.SnapshotsFailed, st.LastSnapshotErr)
		}
		n := float64(b.N)
		ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 }
		b.ReportMetric(ms(st.MaxPause), "owner-pause-ms")
		b.ReportMetric(ms(snapTime)/n, "snapshot-ms")
		b.ReportMetric(ms(quietTime)/n, "quiet-snapshot-ms")
		b.ReportMetric(ms(snapMax), "snap-max-ms")
		b.ReportMetric(ms(baseMax), "base-max-ms")
		b.ReportMetric(ms(snapP99)/n, "snap-p99-ms")
		b.ReportMetric(ms(baseP99)/n, "base-p99-ms")
		b.ReportMetric(float64(snapMax)/float64(baseMax), "max-snap/base")
		b.ReportMetric(float64(snapP99)/float64(baseP99), "p99-snap/base")
		window := (snapTime + time.Duration(b.N)*foldTail).Seconds() // each, in all
		b.ReportMetric(float64(snapReqs)/window, "snap-req/s")
		b.ReportMetric(float64(baseReqs)/window, "base-req/s")
		b.ReportMetric(snapGrowth, "snap-heap-growth/data")
		b.ReportMetric(baseGrowth, "base-heap-growth/data")
		b.ReportMetric(quietGrowth, "quiet-heap-growth/data")
		b.ReportMetric(snapAlloc/n, "snap-alloc/data")
		b.ReportMetric(baseAlloc/n, "base-alloc/data")
		b.ReportMetric(quietAlloc/n, "quiet-alloc/data")
		b.ReportMetric(float64(snapGCs)/n, "snap-gcs")
		b.ReportMetric(float64(baseGCs)/n, "base-gcs")
	})

	// Back to back: a second Snapshot called while the first is being
	// saved waits for the next one, which starts as soon as the first ends,
	// while the changes kept aside during the first are not folded back
	// yet. On a store of its own, so that its MaxPause is its own.
	db2 := openLoaded(b)
	b.Run(fmt.Sprintf("keys=1M/g=%d/back-to-back", pauseLoadGoroutines), func(b *testing.B) {
		var snapTime, snapMax, snapP99 time.Duration
		b.ResetTimer()
		b.StopTimer()
		for i := range b.N {
			runtime.GC()
			load := startLoad(db2, pauseLoadGoroutines, uint64(i+1))
			load.WaitServed(100 * pauseLoadGoroutines)
			taken := db2.Stats().Snapshots
			second := make(chan error, 1)
			t0 := time.Now()
			b.StartTimer()
			go func() {
				time.Sleep(10 * time.Millisecond) // while the first is saved
				second <- db2.Snapshot(ctx)
			}()
			err := db2.Snapshot(ctx)
			if err == nil {
				err = <-second
			}
			b.StopTimer()
			d := time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if got := db2.Stats().Snapshots - taken; got != 2 {
				b.Fatalf("two Snapshot calls saved %d snapshots, want 2", got)
			}
			time.Sleep(foldTail)
			lat := load.Stop(b)
			snapTime += d
			snapMax = max(snapMax, lat[len(lat)-1])
			snapP99 += quantile(lat, 0.99)
		}
		n := float64(b.N)
		ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 }
		b.ReportMetric(ms(db2.Stats().MaxPause), "owner-pause-ms")
		b.ReportMetric(ms(snapTime)/n, "snapshots-ms")
		b.ReportMetric(ms(snapMax), "snap-max-ms")
		b.ReportMetric(ms(snapP99)/n, "snap-p99-ms")
	})
}

// dirUsage returns the bytes in the regular files of dir, and of those the
// bytes in snapshot files and in journal segments.
func dirUsage(b *testing.B, dir string) (total, snaps, segments int64) {
	b.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		switch name := d.Name(); {
		case strings.HasSuffix(name, ".hsnap"):
			snaps += info.Size()
		case strings.HasSuffix(name, ".wal"):
			segments += info.Size()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return total, snaps, segments
}

const (
	overwriteKeys   = 100_000
	overwriteRounds = 10
)

// BenchmarkDiskAfterOverwrite writes 100k keys (16-byte keys, 100-byte
// values) 10 times over with SetBytes (1M writes, from fillWorkers
// goroutines, timed: ns/op is the time for the 1M writes), closes the store
// and reports the bytes in its directory over the live data (100k × 116 B),
// in three configurations: the defaults (automatic snapshots at the default
// threshold), the defaults and a Snapshot after the last write, and
// KeepSnapshots 1 and a Snapshot after the last write. Each iteration
// starts from an empty directory.
//
// Target: disk/live ≤ 2.
func BenchmarkDiskAfterOverwrite(b *testing.B) {
	live := float64(overwriteKeys * recordBytes)
	for _, c := range []struct {
		name  string
		opts  *hurrah.Options
		final bool // take a snapshot after the last write
	}{
		{"defaults", nil, false},
		{"defaults+snapshot", nil, true},
		{"keep=1+snapshot", &hurrah.Options{KeepSnapshots: 1}, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total, snaps, segments, most int64
			var taken uint64
			b.ResetTimer()
			b.StopTimer()
			for i := range b.N {
				dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
				db, err := hurrah.Open(dir, c.opts)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for round := range overwriteRounds {
					fillKeys(b, db, overwriteKeys, round)
				}
				if c.final {
					if err := db.Snapshot(context.Background()); err != nil {
						db.Close()
						b.Fatal(err)
					}
				}
				b.StopTimer()
				st := db.Stats()
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
				t, s, g := dirUsage(b, dir)
				total, snaps, segments, most = total+t, snaps+s, segments+g, max(most, t)
				taken += st.Snapshots
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(total)/n/live, "disk/live")
			b.ReportMetric(float64(most)/live, "max-disk/live")
			b.ReportMetric(float64(snaps)/n/live, "snapshots/live")
			b.ReportMetric(float64(segments)/n/live, "journal/live")
			b.ReportMetric(float64(total)/n/1e6, "disk-MB")
			b.ReportMetric(float64(taken)/n, "snapshots-taken")
			b.ReportMetric(overwriteKeys*overwriteRounds*n/b.Elapsed().Seconds(), "writes/s")
		})
	}
}
