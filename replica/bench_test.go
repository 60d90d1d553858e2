package replica

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// Benchmarks on 3 nodes over raft's in-memory transport, 64 concurrent
// clients. BenchmarkSideBySide runs this package's writes and an
// hraftd-style baseline (one raft.Apply of a JSON command per write into
// a mutex-guarded map) in the same run, in alternating phases, and
// reports the ratio of their throughputs and its spread, with reads/s
// and a SystemNode's commands/s. Run it with:
//
//	go test -run '^$' -bench SideBySide -benchtime 20x ./   (in replica/)
//
// Each iteration is one short phase of each kind, the two kinds of write
// one after the other (in turn, which goes first), so that the machine's
// other load falls on both alike: the ratio is the median of the
// iterations' ratios, and its min and max are its spread. CPU µs per call
// is the process's CPU time over the phase's calls, which another
// process's load changes less than the calls per second. Both clusters take their raft
// stores from benchStores: change it to measure on disk.

const (
	benchClients = 64
	benchPhase   = 5_000 // calls in one phase
)

// benchStores returns node id's raft stores, for the baseline's nodes and
// this package's alike: in memory. To measure with raft's stores on disk
// (or Config.Dir), return those here.
func benchStores(tb testing.TB, id string) (raft.LogStore, raft.StableStore, raft.SnapshotStore) {
	if *benchDisk {
		st, err := OpenStores(filepath.Join(tb.TempDir(), id))
		require.NoError(tb, err)
		tb.Cleanup(func() { st.Close() })
		return st.Log, st.Stable, st.Snapshots
	}
	s := raft.NewInmemStore()
	return s, s, raft.NewInmemSnapshotStore()
}

// benchDisk makes benchStores open raft's stores on disk (OpenStores):
// go test -run '^$' -bench SideBySide -benchtime 20x ./ -disk
var benchDisk = flag.Bool("disk", false, "benchmarks: raft's stores on disk (OpenStores), not in memory")

// benchRaft returns the raft config of every benchmark node, the
// baseline's and this package's alike: the test config with long
// timeouts, so that a loaded machine's delayed heartbeats neither start
// elections mid-run nor make a leader step down (raft's defaults did, now
// and then: "leadership lost while committing log").
func benchRaft() *raft.Config {
	rc := testRaft()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = 5*time.Second, 5*time.Second, 2*time.Second
	return rc
}

// threeRafts starts 3 connected raft nodes, prefix1..3, each over the FSM
// start makes (it calls raft.NewRaft or a Node's constructor), bootstraps
// them and returns the leader's index.
func threeRafts(tb testing.TB, prefix string, start func(id string, tr raft.Transport) *raft.Raft) []*raft.Raft {
	if *benchTCP {
		return threeRaftsTCP(tb, prefix, start)
	}
	trans := map[string]*raft.InmemTransport{}
	var servers []raft.Server
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		_, trans[id] = raft.NewInmemTransport(raft.ServerAddress(id))
		servers = append(servers, raft.Server{ID: raft.ServerID(id), Address: raft.ServerAddress(id)})
	}
	for a, ta := range trans {
		for p, tp := range trans {
			if a != p {
				ta.Connect(raft.ServerAddress(p), tp)
			}
		}
	}
	var ts []raft.Transport
	for _, s := range servers {
		ts = append(ts, trans[string(s.ID)])
	}
	return startAndBootstrap(tb, servers, ts, start)
}

// startAndBootstrap starts servers[i] over ts[i] with start, and
// bootstraps the cluster of them on the first.
func startAndBootstrap(tb testing.TB, servers []raft.Server, ts []raft.Transport, start func(id string, tr raft.Transport) *raft.Raft) []*raft.Raft {
	var rafts []*raft.Raft
	for i, s := range servers {
		rafts = append(rafts, start(string(s.ID), ts[i]))
	}
	require.NoError(tb, rafts[0].BootstrapCluster(raft.Configuration{Servers: servers}).Error())
	return rafts
}

// benchTCP makes threeRafts connect the nodes over TCP on loopback
// (NewTransport, plaintext), as the figure asks, not through
// raft's in-memory transport:
// go test -run '^$' -bench SideBySide -benchtime 20x ./ -tcp
var benchTCP = flag.Bool("tcp", false, "benchmarks: nodes talk over TCP on loopback, not raft's in-memory transport")

// threeRaftsTCP is threeRafts over TCP on 127.0.0.1.
func threeRaftsTCP(tb testing.TB, prefix string, start func(id string, tr raft.Transport) *raft.Raft) []*raft.Raft {
	var servers []raft.Server
	var trans []raft.Transport
	for i := 1; i <= 3; i++ {
		// Logger Off: the teardown's "connection reset by peer" lines are
		// noise (a node stopping while its peers still send).
		tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()})
		require.NoError(tb, err)
		// After the nodes stop (cleanups run last first): raft's Shutdown
		// closes a transport's listener, but not the connections it pooled
		// to its peers, whose readers then wait on them for ever.
		tb.Cleanup(func() { tr.CloseStreams(); tr.Close() })
		trans = append(trans, tr)
		servers = append(servers, raft.Server{ID: raft.ServerID(fmt.Sprintf("%s%d", prefix, i)), Address: tr.LocalAddr()})
	}
	return startAndBootstrap(tb, servers, trans, start)
}

// leaderOf waits for one of rafts to lead and returns its index.
func leaderOf(tb testing.TB, rafts []*raft.Raft) int {
	l := -1
	require.Eventually(tb, func() bool {
		for i, r := range rafts {
			if r.State() == raft.Leader {
				l = i
			}
		}
		return l >= 0
	}, waitFor, 5*time.Millisecond)
	return l
}

// mapFSM is the baseline's state machine, as hraftd's: a map under a
// mutex, one JSON command per entry.
type mapFSM struct {
	mu sync.Mutex
	m  map[string]string
}

type mapCommand struct {
	Op, Key, Value string
}

func (f *mapFSM) Apply(l *raft.Log) any {
	var c mapCommand
	if err := json.Unmarshal(l.Data, &c); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[c.Key] = c.Value
	return nil
}

func (f *mapFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, fmt.Errorf("not in the baseline") }
func (f *mapFSM) Restore(io.ReadCloser) error         { return fmt.Errorf("not in the baseline") }

// baseline starts the hraftd-style cluster and returns its leader.
func baseline(tb testing.TB) *raft.Raft {
	rafts := threeRafts(tb, "b", func(id string, tr raft.Transport) *raft.Raft {
		rc := benchRaft()
		rc.LocalID = raft.ServerID(id)
		logs, stable, snaps := benchStores(tb, id)
		r, err := raft.NewRaft(rc, &mapFSM{m: map[string]string{}}, logs, stable, snaps, tr)
		require.NoError(tb, err)
		tb.Cleanup(func() { r.Shutdown().Error() })
		return r
	})
	return rafts[leaderOf(tb, rafts)]
}

// replicated starts 3 Nodes and returns the leader.
func replicated(tb testing.TB) *Node {
	nodes := map[*raft.Raft]*Node{}
	rafts := threeRafts(tb, "n", func(id string, tr raft.Transport) *raft.Raft {
		logs, stable, snaps := benchStores(tb, id)
		n, err := NewNode(Config{ID: id, Transport: tr, LogStore: logs, StableStore: stable, SnapshotStore: snaps, Raft: benchRaft()})
		require.NoError(tb, err)
		tb.Cleanup(func() { n.Close() })
		nodes[n.Raft()] = n
		return n.Raft()
	})
	return nodes[rafts[leaderOf(tb, rafts)]]
}

// systemReplicated starts 3 SystemNodes and returns the leader.
func systemReplicated(tb testing.TB) *SystemNode[tally, tallyCmd] {
	nodes := map[*raft.Raft]*SystemNode[tally, tallyCmd]{}
	rafts := threeRafts(tb, "s", func(id string, tr raft.Transport) *raft.Raft {
		logs, stable, snaps := benchStores(tb, id)
		n, err := NewSystemNode[tally, tallyCmd](Config{ID: id, Transport: tr, LogStore: logs, StableStore: stable, SnapshotStore: snaps, Raft: benchRaft()}, nil)
		require.NoError(tb, err)
		tb.Cleanup(func() { n.Close() })
		nodes[n.Raft()] = n
		return n.Raft()
	})
	return nodes[rafts[leaderOf(tb, rafts)]]
}

// phase runs fn from benchClients goroutines, calls times in all, and
// returns the calls per second, the process's CPU time per call (the
// machine's other load does not change it much) and the longest stall
// meanwhile (see stallWatch).
func phase(tb testing.TB, calls int64, fn func(i int64) error) sample {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchClients)
	stalls := watchStalls()
	start, cpu0 := time.Now(), cpuTime()
	for range benchClients {
		wg.Go(func() {
			for i := next.Add(1); i <= calls; i = next.Add(1) {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	took, cpu := time.Since(start), cpuTime()-cpu0
	stall := stalls.stop()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
	return sample{float64(calls) / took.Seconds(), cpu / time.Duration(calls), stall}
}

// stallTick is the period of a stallWatch's ticker.
const stallTick = 10 * time.Millisecond

// stallWatch measures how long the process stopped running during a
// phase: its goroutine takes a tick every stallTick and keeps the longest
// gap between two ticks beyond stallTick. This shared VM now and then
// stops every process for 0.1-3 s; a run whose stall-ms metric shows one
// is slow for that reason, not for this package's (discard it, or quote
// medians over several runs).
type stallWatch struct {
	quit    chan struct{}
	longest chan time.Duration
}

// watchStalls starts a stallWatch; stop ends it.
func watchStalls() *stallWatch {
	w := &stallWatch{quit: make(chan struct{}), longest: make(chan time.Duration, 1)}
	go func() {
		t := time.NewTicker(stallTick)
		defer t.Stop()
		var longest time.Duration
		last := time.Now()
		for {
			select {
			case <-w.quit:
				w.longest <- max(longest, time.Since(last)-stallTick)
				return
			case now := <-t.C:
				longest, last = max(longest, now.Sub(last)-stallTick), now
			}
		}
	}()
	return w
}

// stop ends the watch and returns the longest stall it saw (0 for none).
func (w *stallWatch) stop() time.Duration {
	close(w.quit)
	return max(<-w.longest, 0)
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const benchValue = "value-of-some-thirty-bytes...."

func benchKey(i int64) string { return "k" + strconv.FormatInt(i%100_000, 10) }

// BenchmarkSideBySide: see the top of the file. Its metrics: writes/s of
// each (medians over the iterations), the ratio's median, min and max
// (each iteration's replicated phase over its baseline phase), writes per
// raft entry, linearizable and stale reads/s and a SystemNode's
// commands/s (medians), and stall-ms: the longest stall of the whole
// process in any phase (see stallWatch), so that a run the VM paused can
// be told from a slow one.
func BenchmarkSideBySide(b *testing.B) {
	ctx := context.Background()
	base, repl, sys := baseline(b), replicated(b), systemReplicated(b)
	var m sideBySide
	var entries, writes uint64
	baseWrite := func(i int64) error {
		data, _ := json.Marshal(mapCommand{Op: "set", Key: benchKey(i), Value: benchValue})
		return base.Apply(data, 10*time.Second).Error()
	}
	replWrite := func(i int64) error { return repl.SetBytes(ctx, benchKey(i), []byte(benchValue)) }
	for i := 0; b.Loop(); i++ {
		var bw, rw sample
		if i%2 == 0 { // alternate which goes first
			bw = m.add("baseline-writes", phase(b, benchPhase, baseWrite))
		}
		before := repl.Raft().LastIndex()
		rw = m.add("writes", phase(b, benchPhase, replWrite))
		entries += repl.Raft().LastIndex() - before
		writes += benchPhase
		if i%2 == 1 {
			bw = m.add("baseline-writes", phase(b, benchPhase, baseWrite))
		}
		m.ratios = append(m.ratios, rw.perSec/bw.perSec)
		m.add("lin-reads", phase(b, benchPhase, func(i int64) error {
			_, err := repl.GetBytes(ctx, benchKey(1+i%benchPhase)) // a key written
			return err
		}))
		m.add("stale-reads", phase(b, 5*benchPhase, func(i int64) error {
			_, err := repl.GetBytes(ctx, benchKey(1+i%benchPhase), Stale(0))
			return err
		}))
		m.add("system-commits", phase(b, benchPhase, func(i int64) error {
			return sys.Commit(ctx, tallyCmd{Key: benchKey(i), Add: 1})
		}))
	}
	m.report(b)
	b.ReportMetric(float64(writes)/float64(entries), "writes/entry")
}

// sample is one phase's figures.
type sample struct {
	perSec float64
	cpu    time.Duration
	stall  time.Duration // the longest stall of the process: see stallWatch
}

// sideBySide collects BenchmarkSideBySide's phases.
type sideBySide struct {
	names  []string
	by     map[string][]sample
	ratios []float64 // replicated writes/s over the baseline's, per iteration
}

func (m *sideBySide) add(name string, s sample) sample {
	if m.by == nil {
		m.by = map[string][]sample{}
	}
	if _, ok := m.by[name]; !ok {
		m.names = append(m.names, name)
	}
	m.by[name] = append(m.by[name], s)
	return s
}

// report reports each kind's median calls/s and CPU µs per call, and the
// ratio's median, min and max.
func (m *sideBySide) report(b *testing.B) {
	for _, name := range m.names {
		var per, cpu []float64
		for _, s := range m.by[name] {
			per, cpu = append(per, s.perSec), append(cpu, float64(s.cpu)/1e3)
		}
		b.ReportMetric(median(per), name+"/s")
		b.ReportMetric(median(cpu), name+"-cpu-µs")
	}
	b.ReportMetric(median(m.ratios), "ratio-median")
	b.ReportMetric(slices.Min(m.ratios), "ratio-min")
	b.ReportMetric(slices.Max(m.ratios), "ratio-max")
	var stall time.Duration // the longest, over every phase
	for _, ss := range m.by {
		for _, s := range ss {
			stall = max(stall, s.stall)
		}
	}
	b.ReportMetric(float64(stall)/1e6, "stall-ms")
	b.ReportMetric(0, "ns/op") // an iteration is a run of phases: see the metrics
}

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BenchmarkSnapshotRestore1M times what a node catching up by snapshot
// does with it: Persist of 1M keys on the leader, Restore on the new node.
func BenchmarkSnapshotRestore1M(b *testing.B) {
	src, err := newFSM(context.Background())
	require.NoError(b, err)
	defer src.close()
	const keys, per = 1_000_000, 10_000
	for i := 0; i < keys; i += per {
		ops := make([]op, per)
		for j := range ops {
			ops[j] = op{kind: opSet, key: "key-" + strconv.Itoa(i+j), value: []byte(benchValue)}
		}
		require.Nil(b, src.Apply(&raft.Log{Index: uint64(i/per + 1), Type: raft.LogCommand, Data: appendEntry(nil, ops)}))
	}
	for b.Loop() {
		start := time.Now()
		snap, err := src.Snapshot()
		require.NoError(b, err)
		var sink memSink
		require.NoError(b, snap.Persist(&sink))
		snap.Release()
		persisted := time.Since(start)
		dst, err := newFSM(context.Background())
		require.NoError(b, err)
		require.NoError(b, dst.Restore(io.NopCloser(&sink)))
		b.ReportMetric(persisted.Seconds(), "persist-s")
		b.ReportMetric(time.Since(start).Seconds()-persisted.Seconds(), "restore-s")
		require.NoError(b, dst.close())
	}
}

// BenchmarkWrites runs only the replicated writes of BenchmarkSideBySide,
// b.N of them from benchClients goroutines, to profile the write path:
// go test -run '^$' -bench '^BenchmarkWrites$' -benchtime 400000x -cpuprofile /tmp/w.prof ./
func BenchmarkWrites(b *testing.B) {
	ctx := context.Background()
	repl := replicated(b)
	before := repl.Raft().LastIndex()
	b.ResetTimer()
	s := phase(b, int64(b.N), func(i int64) error { // the keys a phase of BenchmarkSideBySide writes
		return repl.SetBytes(ctx, benchKey(1+i%benchPhase), []byte(benchValue))
	})
	b.StopTimer()
	b.ReportMetric(float64(s.cpu)/1e3, "cpu-µs/write")
	b.ReportMetric(float64(s.stall)/1e6, "stall-ms")
	b.ReportMetric(float64(b.N)/float64(repl.Raft().LastIndex()-before), "writes/entry")
}
