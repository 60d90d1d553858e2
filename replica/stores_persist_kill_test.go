package replica

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// persistKillEnv names the node directory of TestPersistKillHelper's
// child; without it TestPersistKillHelper does nothing.
const persistKillEnv = "HURRAH_REPLICA_PERSIST_KILL_DIR"

// stallingStore is raft's snapshot store whose second snapshot stalls
// once 16 KiB of it are written, saying so on stdout: the moment the
// parent kills the process.
type stallingStore struct {
	raft.SnapshotStore
	made atomic.Int32
}

func (s *stallingStore) Create(v raft.SnapshotVersion, index, term uint64, c raft.Configuration,
	ci uint64, tr raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(v, index, term, c, ci, tr)
	if err != nil || s.made.Add(1) < 2 {
		return sink, err
	}
	return &stallingSink{SnapshotSink: sink}, nil
}

type stallingSink struct {
	raft.SnapshotSink
	written int
}

func (s *stallingSink) Write(p []byte) (int, error) {
	n, err := s.SnapshotSink.Write(p)
	if s.written += n; s.written >= 16<<10 {
		fmt.Println("PERSISTING", s.ID())
		select {} // until the parent kills the process
	}
	return n, err
}

// childStores returns the stores of a child process's node, in the
// directory the environment variable env names; without it, it skips the
// test (a helper run as a test, not by its parent).
func childStores(t *testing.T, env, parent string) *Stores {
	dir := os.Getenv(env)
	if dir == "" {
		t.Skip("helper process body; runs only when re-executed by " + parent)
	}
	s, err := OpenStores(dir)
	if err != nil {
		fail(err)
	}
	return s
}

// childLeader starts a kill test's child: a one-node cluster on s's log
// and stable stores and the snapshot store snaps, bootstrapped and
// leading.
func childLeader(rc *raft.Config, s *Stores, snaps raft.SnapshotStore) *Node {
	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Raft: rc,
		LogStore: s.Log, StableStore: s.Stable, SnapshotStore: snaps})
	if err != nil {
		fail(err)
	}
	if err := n.Bootstrap(Server{ID: "n1", Addr: "n1"}); err != nil {
		fail(err)
	}
	if _, err := n.WaitLeader(context.Background()); err != nil {
		fail(err)
	}
	return n
}

// fail ends a child process, saying why on stdout for its parent.
func fail(err error) {
	fmt.Println("ERR", err)
	os.Exit(1)
}

// TestPersistKillHelper is not a test: it is the body of the child
// process of TestKillDuringPersist. It runs a one-node cluster in the
// directory the environment names: it writes 300 keys, takes a
// snapshot, then writes from eight goroutines (printing "ACK <key>" once
// a write returns nil) while it takes a second snapshot, which stalls
// midway, until it is killed.
func TestPersistKillHelper(t *testing.T) {
	s := childStores(t, persistKillEnv, "TestKillDuringPersist")
	rc := fastRaft()
	rc.SnapshotThreshold, rc.TrailingLogs = 1<<30, 4 // snapshots when asked; the log compacted past the first
	n := childLeader(rc, s, &stallingStore{SnapshotStore: s.Snapshots})
	ctx := context.Background()
	var mu sync.Mutex
	set := func(k string) {
		if err := n.SetBytes(ctx, k, []byte(k+strings.Repeat(".", 100))); err != nil {
			fail(err)
		}
		mu.Lock()
		fmt.Println("ACK", k)
		mu.Unlock()
	}
	for i := range 300 {
		set(fmt.Sprintf("pre-%d", i))
	}
	if err := n.Raft().Snapshot().Error(); err != nil {
		fail(err)
	}
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				set(fmt.Sprintf("g%d-%d", g, i))
			}
		}()
	}
	set("before-the-second")
	n.Raft().Snapshot()     // stalls in Persist; the writers go on
	time.Sleep(time.Minute) // the parent kills it long before
	os.Exit(1)
}

// A node process killed with SIGKILL while raft persists a snapshot (its
// directory holds the snapshot cut short), under a load of writes,
// restarts from the older snapshot and the log after it, with every write
// it acknowledged, before and during the snapshot. raft ignores the
// snapshot cut short (its .tmp directory, which it never removes); the
// node removes it as it opens the directory.
func TestKillDuringPersist(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	persisting, after := false, 0
	killChild(t, "TestPersistKillHelper", []string{persistKillEnv + "=" + dir}, acked, func(line string) bool {
		if persisting && strings.HasPrefix(line, "ACK ") {
			after++
		}
		persisting = persisting || strings.HasPrefix(line, "PERSISTING")
		return after >= 200 // writes acknowledged while it persists
	})
	tmp, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.tmp"))
	require.NoError(t, err)
	require.Len(t, tmp, 1, "the snapshot cut short")

	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	defer n.Close()
	metas, err := n.disk.Snapshots.List()
	require.NoError(t, err)
	require.Len(t, metas, 1, "only the older snapshot is whole")
	tmp, err = filepath.Glob(filepath.Join(dir, "snapshots", "*.tmp"))
	require.NoError(t, err)
	require.Empty(t, tmp, "the snapshot cut short is removed")
	first, err := n.disk.Log.FirstIndex()
	require.NoError(t, err)
	require.Greater(t, first, uint64(1), "the log alone cannot restore it")
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	_, err = n.GetBytes(context.Background(), "pre-0") // linearizable: the log is applied
	require.NoError(t, err)
	have := contents(t, n)
	for k := range acked {
		require.Equal(t, k+strings.Repeat(".", 100), have[k], "acknowledged write %s lost", k)
	}
	t.Logf("%d acknowledged writes, %d during the stalled snapshot, all kept", len(acked), after)
}
