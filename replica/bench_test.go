package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// Benchmarks on 3 nodes over raft's in-memory transport, 64 concurrent
// clients: this package's writes and reads, and an hraftd-style baseline
// (one raft.Apply of a JSON command per write into a mutex-guarded map)
// in the same run. Run them with:
//
//	go test -run '^$' -bench . -benchtime 2s ./   (in replica/)

const benchClients = 64

// calm gives raft the default timeouts, so that a loaded machine's
// delayed heartbeats do not start elections mid-run.
func calm(rc *raft.Config) {
	d := raft.DefaultConfig()
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = d.HeartbeatTimeout, d.ElectionTimeout, d.LeaderLeaseTimeout
}

// parallel runs fn from benchClients goroutines, b.N calls in all.
func parallel(b *testing.B, fn func(i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchClients)
	b.ResetTimer()
	for range benchClients {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

func BenchmarkReplicatedSet(b *testing.B) {
	c := newCluster(b, 3, calm)
	l := c.leader()
	ctx := context.Background()
	before := l.Raft().LastIndex()
	parallel(b, func(i int64) error {
		return l.SetBytes(ctx, "k"+strconv.FormatInt(i%100000, 10), []byte("value-of-some-thirty-bytes...."))
	})
	b.ReportMetric(float64(b.N)/float64(l.Raft().LastIndex()-before), "writes/entry")
}

func BenchmarkLinearizableGet(b *testing.B) { benchGet(b, nil) }
func BenchmarkStaleGet(b *testing.B)        { benchGet(b, []ReadOption{Stale(0)}) }

func benchGet(b *testing.B, opts []ReadOption) {
	c := newCluster(b, 3, calm)
	l := c.leader()
	ctx := context.Background()
	for i := range 1000 {
		if err := l.SetBytes(ctx, "k"+strconv.Itoa(i), []byte("v")); err != nil {
			b.Fatal(err)
		}
	}
	parallel(b, func(i int64) error {
		_, err := l.GetBytes(ctx, "k"+strconv.FormatInt(i%1000, 10), opts...)
		return err
	})
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

func BenchmarkBaselineSet(b *testing.B) {
	var rafts []*raft.Raft
	trans := map[string]*raft.InmemTransport{}
	var servers []raft.Server
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("b%d", i)
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
	for _, s := range servers {
		rc := testRaft()
		calm(rc)
		rc.LocalID = s.ID
		store := raft.NewInmemStore()
		r, err := raft.NewRaft(rc, &mapFSM{m: map[string]string{}}, store, store, raft.NewInmemSnapshotStore(), trans[string(s.ID)])
		require.NoError(b, err)
		rafts = append(rafts, r)
	}
	defer func() {
		for _, r := range rafts {
			r.Shutdown().Error()
		}
	}()
	require.NoError(b, rafts[0].BootstrapCluster(raft.Configuration{Servers: servers}).Error())
	var l *raft.Raft
	require.Eventually(b, func() bool {
		for _, r := range rafts {
			if r.State() == raft.Leader {
				l = r
			}
		}
		return l != nil
	}, waitFor, 5*time.Millisecond)
	parallel(b, func(i int64) error {
		data, _ := json.Marshal(mapCommand{Op: "set", Key: "k" + strconv.FormatInt(i%100000, 10), Value: "value-of-some-thirty-bytes...."})
		return l.Apply(data, 10*time.Second).Error()
	})
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
			ops[j] = op{kind: opSet, key: "key-" + strconv.Itoa(i+j), value: []byte("value-of-some-thirty-bytes....")}
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
