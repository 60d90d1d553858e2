package replica

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// BenchmarkCatchUp1M times a new node catching up on 1M keys, the way a
// node joining a cluster (or one whose directory was wiped) does: a
// 3-node cluster over TCP on loopback holds 1M keys (30-byte values), its
// leader has taken a snapshot and compacted its log, so a fourth node,
// empty, can only catch up by a snapshot install. The time runs from Join
// until the new node has applied the leader's last entry (catchup-s), and
// received-s is when the snapshot it was sent was whole in its snapshot
// store (the rest is the restore). Raft's snapshots are files (raft's file snapshot
// store, as Config.Dir has them: the new node writes the snapshot it is
// sent to disk, then restores it); the logs are in memory, to load the
// keys quickly. Run it with:
//
//	go test -run '^$' -bench CatchUp1M -benchtime 1x ./   (in replica/)
//
// and -catchup-cpuprofile FILE profiles the catch-up alone.
func BenchmarkCatchUp1M(b *testing.B) { benchCatchUp(b, 1_000_000) }

// BenchmarkCatchUp4M is BenchmarkCatchUp1M with 4M keys: past the 1M keys
// a restore makes room for up front when it does not know the snapshot's
// size (see snapshot_size.go).
func BenchmarkCatchUp4M(b *testing.B) { benchCatchUp(b, 4_000_000) }

// benchCatchUp is BenchmarkCatchUp1M with keys keys.
func benchCatchUp(b *testing.B, keys int) {
	ctx := context.Background()
	var nodes []*Node
	for i := 1; i <= 3; i++ {
		n, _ := catchUpNode(b, fmt.Sprintf("n%d", i))
		nodes = append(nodes, n)
	}
	l := nodes[0]
	require.NoError(b, l.Bootstrap(Server{ID: l.ID(), Addr: l.Addr()}))
	_, err := l.WaitLeader(ctx)
	require.NoError(b, err)
	for _, n := range nodes[1:] {
		require.NoError(b, l.Join(ctx, n.ID(), n.Addr()))
	}
	loadKeys(b, l, keys)
	require.NoError(b, l.Raft().Snapshot().Error())
	joins := 0
	for b.Loop() {
		joins++
		n, snaps := catchUpNode(b, "new"+strconv.Itoa(joins))
		stop := profileCatchUp(b)
		start := time.Now()
		require.NoError(b, l.Join(ctx, n.ID(), n.Addr()))
		want := l.AppliedIndex()
		var received time.Duration
		for n.AppliedIndex() < want {
			if list, _ := snaps.List(); received == 0 && len(list) > 0 {
				received = time.Since(start)
			}
			time.Sleep(time.Millisecond) // a benchmark's poll, not a test's wait
		}
		b.ReportMetric(time.Since(start).Seconds(), "catchup-s")
		b.ReportMetric(received.Seconds(), "received-s")
		stop()
		require.NoError(b, l.Remove(ctx, n.ID()))
		require.NoError(b, n.Close())
	}
}

// catchUpNode starts node id of benchCatchUp on a TCP transport:
// benchRaft's timeouts, no snapshot but those asked for, raft's file
// snapshot store as a node directory has it (OpenStores) and an
// in-memory log.
func catchUpNode(b *testing.B, id string) (*Node, raft.SnapshotStore) {
	tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0", Logger: hclog.NewNullLogger()})
	require.NoError(b, err)
	dir := b.TempDir()
	fs, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hclog.NewNullLogger())
	require.NoError(b, err)
	snaps := fileSnaps{FileSnapshotStore: fs, dir: filepath.Join(dir, "snapshots")} // as OpenStores makes it
	rc := benchRaft()
	rc.SnapshotThreshold, rc.SnapshotInterval, rc.TrailingLogs = 1<<62, time.Hour, 1024
	logs := raft.NewInmemStore()
	n, err := NewNode(Config{ID: id, Transport: tr, LogStore: logs, StableStore: logs, SnapshotStore: snaps, Raft: rc})
	require.NoError(b, err)
	b.Cleanup(func() { n.Close(); tr.CloseStreams() })
	return n, snaps
}

// catchUpProfile is where benchCatchUp writes a CPU profile of the
// catch-up alone (not of loading the keys), if set.
var catchUpProfile = flag.String("catchup-cpuprofile", "", "BenchmarkCatchUp1M and 4M: CPU profile of the catch-up alone")

// profileCatchUp starts the profile catchUpProfile asks for and returns
// what stops it.
func profileCatchUp(b *testing.B) (stop func()) {
	if *catchUpProfile == "" {
		return func() {}
	}
	f, err := os.Create(*catchUpProfile)
	require.NoError(b, err)
	require.NoError(b, pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		require.NoError(b, f.Close())
	}
}

// loadKeys sets key-0 .. key-(n-1) to benchValue through leader l, from
// many goroutines so that rounds are large.
func loadKeys(b *testing.B, l *Node, n int) {
	const writers = 256
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := l.SetBytes(context.Background(), "key-"+strconv.Itoa(i), []byte(benchValue)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.False(b, b.Failed())
}
