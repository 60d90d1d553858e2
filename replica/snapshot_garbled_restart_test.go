package replica

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// garbledRestartEnv names the node directory of TestGarbledInstallHelper's
// child; without it TestGarbledInstallHelper does nothing.
const garbledRestartEnv = "HURRAH_REPLICA_GARBLED_DIR"

// garblingSnaps is a snapshot store whose next left sinks write one byte
// changed, 64 bytes in, as a snapshot garbled on its way (raft's transport
// has no checksum: the store computes its CRC over what it is given).
// A garbled sink's Close, once the snapshot is whole on disk, sends its
// ID on garbled; with stall set it then says so on stdout and stalls
// instead: raft never hands it to Restore, and the parent kills the
// process there. It discards a snapshot as the store it wraps does.
type garblingSnaps struct {
	raft.SnapshotStore
	left    *atomic.Int32
	stall   bool
	garbled chan string // buffered; nil with stall
}

func (s garblingSnaps) Create(v raft.SnapshotVersion, index, term uint64, c raft.Configuration,
	ci uint64, tr raft.Transport) (raft.SnapshotSink, error) {
	sink, err := s.SnapshotStore.Create(v, index, term, c, ci, tr)
	if err != nil || s.left.Add(-1) < 0 {
		return sink, err
	}
	return &garblingSink{SnapshotSink: sink, snaps: s}, nil
}

func (s garblingSnaps) discard(id string) error { return s.SnapshotStore.(discarder).discard(id) }

type garblingSink struct {
	raft.SnapshotSink
	snaps garblingSnaps
	off   int
}

func (s *garblingSink) Write(p []byte) (int, error) {
	if s.off <= 64 && s.off+len(p) > 64 {
		p = append([]byte(nil), p...)
		p[64-s.off] ^= 0xFF
	}
	s.off += len(p)
	return s.SnapshotSink.Write(p)
}

func (s *garblingSink) Close() error {
	if err := s.SnapshotSink.Close(); err != nil {
		return err
	}
	if !s.snaps.stall {
		s.snaps.garbled <- s.ID()
		return nil
	}
	fmt.Println("INSTALLED", s.ID())
	select {} // until the parent kills the process
}

// TestGarbledInstallHelper is not a test: it is the body of the child
// process of TestGarbledInstallRestart. It runs node n3 over the
// directory the environment names, on TCP at HURRAH_REPLICA_GARBLED_ADDR
// (127.0.0.1:0 the first time), prints "ADDR <addr>", then "APPLIED <i>"
// each time its applied index changes, until it is killed. With
// HURRAH_REPLICA_GARBLED=1 its snapshot installs arrive garbled.
func TestGarbledInstallHelper(t *testing.T) {
	dir := os.Getenv(garbledRestartEnv)
	if dir == "" {
		t.Skip("helper process body; runs only when re-executed by TestGarbledInstallRestart")
	}
	fail := func(err error) {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	bind := os.Getenv("HURRAH_REPLICA_GARBLED_ADDR")
	if bind == "" {
		bind = "127.0.0.1:0"
	}
	tr, err := NewTransport(TransportConfig{Bind: bind})
	if err != nil {
		fail(err)
	}
	s, err := OpenStores(dir)
	if err != nil {
		fail(err)
	}
	snaps := garblingSnaps{SnapshotStore: s.Snapshots, left: &atomic.Int32{}, stall: true}
	if os.Getenv("HURRAH_REPLICA_GARBLED") == "1" {
		snaps.left.Store(1)
	}
	n, err := NewNode(Config{ID: "n3", Transport: tr, Raft: garbledRaft(),
		LogStore: s.Log, StableStore: s.Stable, SnapshotStore: snaps})
	if err != nil {
		fail(err)
	}
	fmt.Println("ADDR", n.Addr())
	var last uint64
	for range time.Tick(5 * time.Millisecond) { // ends when the parent kills it
		if i := n.AppliedIndex(); i != last {
			last = i
			fmt.Println("APPLIED", i)
		}
	}
}

// garbledRaft is the raft config of TestGarbledInstallRestart's nodes:
// tcpRaft's timeouts, snapshots only when asked, and a log compacted
// past what a node down for a while holds.
func garbledRaft() *raft.Config {
	rc := tcpRaft()
	rc.SnapshotThreshold, rc.TrailingLogs = 1<<30, 4
	return rc
}

// A follower's process is killed right after a snapshot install,
// garbled on its way, has landed whole on its disk (before its Restore
// could refuse it), and it is started again on its directory. It falls
// back to its older snapshot and the log after it, the leader sends the
// install again, and it holds every write the cluster acknowledged; the
// garbled snapshot, which no node can restore, is out of its snapshot
// store, in Dir/refused (it
// would otherwise stay there, the newest, to be tried at every start and
// sent to a follower needing an install while the node leads).
func TestGarbledInstallRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	leftAlone(t)
	ctx := context.Background()
	nodes := map[string]*Node{}
	var trs []*raft.NetworkTransport
	t.Cleanup(func() {
		for _, n := range nodes {
			n.Close()
		}
		for _, tr := range trs { // raft's readers on their far side wait for them (raft's Close leaves its pooled connections open)
			tr.CloseStreams()
		}
	})
	var servers []Server
	for _, id := range []string{"n1", "n2"} {
		tr, err := NewTransport(TransportConfig{Bind: "127.0.0.1:0"})
		require.NoError(t, err)
		trs = append(trs, tr)
		n, err := NewNode(Config{ID: id, Transport: tr, Raft: garbledRaft()})
		require.NoError(t, err)
		nodes[id] = n
		servers = append(servers, Server{ID: id, Addr: n.Addr()})
	}
	require.NoError(t, nodes["n1"].Bootstrap(servers...))
	leader := func() *Node {
		var l *Node
		require.Eventually(t, func() bool {
			for _, n := range nodes {
				if n.IsLeader() {
					l = n
				}
			}
			return l != nil
		}, waitFor, 5*time.Millisecond, "no leader")
		return l
	}
	want := map[string]string{}
	write := func(prefix string, k int) uint64 {
		for i := range k {
			key := fmt.Sprintf("%s%d", prefix, i)
			require.NoError(t, leader().SetBytes(ctx, key, []byte(key)))
			want[key] = key
		}
		require.NoError(t, leader().Raft().Snapshot().Error()) // compacts past what n3 has
		return leader().AppliedIndex()
	}

	dir := t.TempDir()
	write("a", 300)
	// Run 1: n3 joins and catches up by a whole install, then the log.
	var addr string
	child(t, dir, nil, func(line string) bool {
		if a, ok := strings.CutPrefix(line, "ADDR "); ok {
			addr = a
			require.NoError(t, leader().Join(ctx, "n3", addr))
			write("b", 20) // after the install: in n3's log
			return false
		}
		var i uint64
		_, err := fmt.Sscanf(line, "APPLIED %d", &i)
		return err == nil && i >= leader().AppliedIndex()
	})
	snaps := filepath.Join(dir, "snapshots")
	older := snapshotIDs(t, snaps)
	require.NotEmpty(t, older, "n3's whole install")
	// Run 2: n3, behind, is sent an install, which arrives garbled; killed
	// once it is on disk.
	write("c", 300)
	var garbled string
	child(t, dir, []string{"HURRAH_REPLICA_GARBLED=1", "HURRAH_REPLICA_GARBLED_ADDR=" + addr}, func(line string) bool {
		g, ok := strings.CutPrefix(line, "INSTALLED ")
		garbled = g
		return ok
	})
	ids := snapshotIDs(t, snaps) // the store keeps two: the garbled one and an older
	require.Len(t, ids, 2)
	require.Contains(t, ids, garbled)
	for _, id := range ids {
		require.True(t, id == garbled || slices.Contains(older, id), "%s: neither", id)
	}
	// Run 3, in this process: n3 starts again on its directory.
	tr, err := NewTransport(TransportConfig{Bind: addr})
	require.NoError(t, err)
	trs = append(trs, tr)
	n3, err := NewNode(Config{ID: "n3", Transport: tr, Raft: garbledRaft(), Dir: dir})
	require.NoError(t, err)
	nodes["n3"] = n3
	require.NotContains(t, snapshotIDs(t, snaps), garbled, "the garbled snapshot is still there")
	require.Equal(t, []string{garbled}, snapshotIDs(t, filepath.Join(dir, "refused")))
	for k, v := range map[string]string{"d": "after"} {
		require.NoError(t, leader().SetBytes(ctx, k, []byte(v)))
		want[k] = v
	}
	for _, n := range nodes {
		caughtUp(t, n, leader().AppliedIndex())
		require.Equal(t, want, contents(t, n), n.ID())
	}
}

// child runs TestGarbledInstallHelper on dir with env, hands each line
// it prints to until, kills it with SIGKILL once until says so, and waits
// for it to end. A line "ERR ..." fails the test, and so does a child
// that ends first.
func child(t *testing.T, dir string, env []string, until func(line string) bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGarbledInstallHelper$")
	cmd.Env = append(append(os.Environ(), garbledRestartEnv+"="+dir), env...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Wait()
	defer cmd.Process.Signal(syscall.SIGKILL)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		require.False(t, strings.HasPrefix(line, "ERR"), line)
		if until(line) {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			io.Copy(io.Discard, out)
			return
		}
	}
	t.Fatal("the child ended early")
}

// snapshotIDs returns the IDs of the snapshots in dir (raft's file
// snapshot store: one directory each; those cut short end in .tmp).
func snapshotIDs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var ids []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasSuffix(e.Name(), ".tmp") {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// A follower on disk is sent an install garbled on its way: its Restore
// refuses it, and the node moves it out of its snapshot store at once
// (raft would leave it there, the newest); the leader sends the install
// again, and the follower catches up with every write, its snapshot
// store holding the whole snapshot only (the garbled one kept in
// Dir/refused for the operator).
func TestGarbledInstallIsDiscarded(t *testing.T) {
	leftAlone(t)
	c := newCluster(t, 2, func(rc *raft.Config) { rc.SnapshotThreshold, rc.TrailingLogs = 1<<30, 4 })
	want := c.setKeys("a", 50)
	l := c.leader()
	require.NoError(t, l.Raft().Snapshot().Error()) // n3 needs an install
	dir := t.TempDir()
	s, err := OpenStores(dir)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	snaps := garblingSnaps{SnapshotStore: s.Snapshots, left: &atomic.Int32{}, garbled: make(chan string, 1)}
	snaps.left.Store(1)
	_, tr := raft.NewInmemTransport("n3")
	c.trans["n3"], c.ids = tr, append(c.ids, "n3")
	c.link()
	n3, err := NewNode(Config{ID: "n3", Transport: tr, Raft: testRaft(),
		LogStore: s.Log, StableStore: s.Stable, SnapshotStore: snaps})
	require.NoError(t, err)
	c.nodes["n3"] = n3
	require.NoError(t, l.Join(context.Background(), "n3", "n3"))
	garbled := <-snaps.garbled
	caughtUp(t, n3, l.AppliedIndex())
	require.Equal(t, uint64(1), n3.m.refusals())
	require.NoError(t, n3.Health())
	require.Equal(t, want, contents(t, n3))
	ids := snapshotIDs(t, filepath.Join(dir, "snapshots"))
	require.NotContains(t, ids, garbled)
	require.Len(t, ids, 1, "the whole install")
	require.Equal(t, []string{garbled}, snapshotIDs(t, filepath.Join(dir, "refused")), "kept for the operator")
}
