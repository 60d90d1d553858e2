package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// backupOf writes want's keys through a new cluster and returns its
// backup and the index it is at.
func backupOf(t *testing.T, prefix string, keys int) ([]byte, map[string]string, uint64) {
	t.Helper()
	src := newCluster(t, 1, nil)
	want := src.setKeys(prefix, keys)
	var buf bytes.Buffer
	index, err := src.leader().Backup(context.Background(), &buf)
	require.NoError(t, err)
	src.closeAll()
	return buf.Bytes(), want, index
}

// dirLeader starts a one-node cluster on dir and waits for it to lead.
func dirLeader(t *testing.T, dir string) *Node {
	t.Helper()
	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	return n
}

// lastSnapshot returns the index of raft's last snapshot on n.
func lastSnapshot(t *testing.T, n *Node) uint64 {
	t.Helper()
	i, err := strconv.ParseUint(n.Raft().Stats()["last_snapshot_index"], 10, 64)
	require.NoError(t, err)
	return i
}

// A backup restored into a running cluster replaces the state on every
// node. Raft puts it at an index past its log, not at the backup's: the
// applied index comes from raft's snapshot, goes on from there, and the
// followers catch up to it.
func TestRestoreIntoCluster(t *testing.T) {
	b, want, lsn := backupOf(t, "new", 5)
	c := newCluster(t, 3, nil)
	c.setKeys("old", 40)
	l := c.leader()
	before := l.AppliedIndex()
	require.Greater(t, before, lsn, "the test needs a log longer than the backup's index")

	require.NoError(t, l.Restore(context.Background(), bytes.NewReader(b)))
	at := l.AppliedIndex()
	require.Greater(t, at, before, "the applied index goes on from the log, not back to the backup's")
	require.Equal(t, lastSnapshot(t, l), at, "the index of raft's snapshot")
	require.Equal(t, want, contents(t, l))

	require.NoError(t, l.SetBytes(context.Background(), "after", []byte("x")))
	require.Greater(t, l.AppliedIndex(), at)
	want["after"] = "x"
	got, err := l.GetBytes(context.Background(), "after") // linearizable
	require.NoError(t, err)
	require.Equal(t, "x", string(got))
	for _, f := range c.followers(l) {
		caughtUp(t, f, l.AppliedIndex())
		require.Equal(t, want, contents(t, f), f.ID())
	}
	var buf bytes.Buffer
	index, err := l.Backup(context.Background(), &buf)
	require.NoError(t, err)
	require.Equal(t, l.AppliedIndex(), index)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

// A damaged backup (truncated, a byte flipped) or one of the wrong kind
// (a System's) is refused with a typed error, and nothing changes: the
// state, the applied index, raft's snapshots; no spool is left.
func TestRestoreRefusesDamaged(t *testing.T) {
	b, _, _ := backupOf(t, "new", 50)
	sys := newSysCluster(t, 1, nil)
	require.NoError(t, sys.commit(tallyCmd{Key: "x", Add: 1}))
	var sb bytes.Buffer
	_, err := sys.leader().Backup(context.Background(), &sb)
	require.NoError(t, err)

	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 0x40
	dir := t.TempDir()
	n := dirLeader(t, dir)
	defer n.Close()
	require.NoError(t, n.SetBytes(context.Background(), "old", []byte("v")))
	state, applied := contents(t, n), n.AppliedIndex()
	snaps, err := n.disk.Snapshots.List()
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		backup []byte
		want   error
	}{
		{"truncated", b[:len(b)-9], hurrah.ErrCorrupt},
		{"flipped", flipped, hurrah.ErrCorrupt},
		{"System's", sb.Bytes(), hurrah.ErrBadInput},
		{"empty", nil, hurrah.ErrCorrupt},
	} {
		err := n.Restore(context.Background(), bytes.NewReader(tc.backup))
		require.ErrorIs(t, err, tc.want, tc.name)
		require.Equal(t, state, contents(t, n), tc.name)
		require.Equal(t, applied, n.AppliedIndex(), tc.name)
		after, err := n.disk.Snapshots.List()
		require.NoError(t, err)
		require.Equal(t, snaps, after, tc.name)
		spools, err := filepath.Glob(filepath.Join(dir, spoolPattern))
		require.NoError(t, err)
		require.Empty(t, spools, tc.name)
	}
}

// A follower refuses a Restore, naming the leader, and reads nothing.
func TestRestoreOnFollower(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	c := newCluster(t, 3, nil)
	l := c.leader()
	r := &countingReader{r: bytes.NewReader(b)}
	f := c.followers(l)[0]
	_, err := f.WaitLeader(context.Background())
	require.NoError(t, err)
	err = f.Restore(context.Background(), r)
	var nl *NotLeaderError
	require.ErrorAs(t, err, &nl)
	require.Equal(t, l.ID(), nl.LeaderID)
	require.Zero(t, r.read)
}

// spoolWatcher reads a backup, noting at its first read the spools in dir.
type spoolWatcher struct {
	r      io.Reader
	dir    string
	spools []string
	first  sync.Once
}

func (s *spoolWatcher) Read(p []byte) (int, error) {
	s.first.Do(func() { s.spools, _ = filepath.Glob(filepath.Join(s.dir, spoolPattern)) })
	return s.r.Read(p)
}

// A Restore spools the backup in the node's Dir and removes it on return;
// a spool left by a crash is removed by the next NewNode.
func TestRestoreSpoolInDir(t *testing.T) {
	b, want, _ := backupOf(t, "new", 5)
	dir := t.TempDir()
	n := dirLeader(t, dir)
	w := &spoolWatcher{r: bytes.NewReader(b), dir: dir}
	require.NoError(t, n.Restore(context.Background(), w))
	require.Len(t, w.spools, 1, "the spool is in Dir")
	left, err := filepath.Glob(filepath.Join(dir, spoolPattern))
	require.NoError(t, err)
	require.Empty(t, left, "and removed")
	require.Equal(t, want, contents(t, n))
	require.NoError(t, n.Close())

	leftover := filepath.Join(dir, "restore-1.spool")
	require.NoError(t, os.WriteFile(leftover, []byte("cut short"), 0o600))
	n, err = NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), Dir: dir, Raft: fastRaft()})
	require.NoError(t, err)
	defer n.Close()
	require.NoFileExists(t, leftover)
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	_, err = n.GetBytes(context.Background(), "new0") // linearizable: the restored state is back
	require.NoError(t, err)
	require.Equal(t, want, contents(t, n))
}

// cancelReader cancels its context at its first read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c cancelReader) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}

// A Restore whose ctx ends as it reads the backup returns ctx's error and
// changes nothing.
func TestRestoreCtxEnds(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	c := newCluster(t, 3, nil)
	want := c.setKeys("old", 5)
	l := c.leader()
	ctx, cancel := context.WithCancel(context.Background())
	err := l.Restore(ctx, cancelReader{r: bytes.NewReader(b), cancel: cancel})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, want, contents(t, l))
	require.Zero(t, l.fsm.restored())
}

// A leader cut off from the others, with a membership change pending,
// refuses a Restore once it knows it leads no majority (the round Restore
// runs first), and nothing changes.
func TestRestoreCutOffLeader(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	c := newCluster(t, 3, nil)
	want := c.setKeys("old", 5)
	l := c.leader()
	c.partition(l.ID())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := l.Join(ctx, "ghost", "ghost") // cut off: never commits
	require.ErrorIs(t, err, context.DeadlineExceeded)
	err = l.Restore(context.Background(), bytes.NewReader(b))
	require.ErrorIs(t, err, ErrNotLeader)
	require.Equal(t, want, contents(t, l))
	require.Zero(t, l.fsm.restored())
}

// Raft's refusals of a restore that change nothing are not ErrUncertain:
// a membership change pending (raft v1.7.2's unwrapped error, which the
// round before the restore makes rare: a change begun between the two)
// is ErrBusy, to retry; after the machine restored, a failure is.
func TestRestoreErrors(t *testing.T) {
	n := &node{stop: make(chan struct{})}
	pending := fmt.Errorf("cannot restore snapshot now, wait until the configuration entry at %v has been applied (have applied %v)", 9, 8)
	err := n.restoreErr(context.Background(), pending, false)
	require.ErrorIs(t, err, ErrBusy)
	require.NotErrorIs(t, err, ErrUncertain)
	require.ErrorIs(t, n.restoreErr(context.Background(), raft.ErrEnqueueTimeout, false), ErrBusy)
	require.ErrorIs(t, n.restoreErr(context.Background(), raft.ErrLeadershipLost, true), ErrUncertain)
	require.NotErrorIs(t, n.restoreErr(context.Background(), errors.New("failed to create snapshot"), false), ErrUncertain)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, n.restoreErr(ctx, errors.New("failed to write snapshot: context canceled"), false), context.Canceled)
	close(n.stop)
	require.ErrorIs(t, n.restoreErr(ctx, errors.New("failed to write snapshot: context canceled"), false), ErrClosed)
}

// A SystemNode restores a System's backup on every node, and refuses a
// DB's (hurrah.ErrBadInput) with nothing changed.
func TestSystemRestore(t *testing.T) {
	src := newSysCluster(t, 1, nil)
	require.NoError(t, src.commit(tallyCmd{Key: "x", Add: 7}))
	var buf bytes.Buffer
	_, err := src.leader().Backup(context.Background(), &buf)
	require.NoError(t, err)

	c := newSysCluster(t, 3, nil)
	for range 20 {
		require.NoError(t, c.commit(tallyCmd{Key: "y", Add: 1}))
	}
	l := c.leader()
	db, _, _ := backupOf(t, "k", 3)
	require.ErrorIs(t, l.Restore(context.Background(), bytes.NewReader(db)), hurrah.ErrBadInput)
	require.Equal(t, map[string]int{"y": 20}, state(t, l))

	require.NoError(t, l.Restore(context.Background(), bytes.NewReader(buf.Bytes())))
	require.NoError(t, c.commit(tallyCmd{Key: "x", Add: 1}))
	for _, id := range c.ids {
		n := c.nodes[id]
		sysCaughtUp(t, n, l.AppliedIndex())
		require.Equal(t, map[string]int{"x": 8}, state(t, n), id)
	}
}

// closingStore closes the node as raft opens a snapshot for its FSM to
// restore, and lets the restore go on once Close has begun: Close must
// wait for it before it ends what the FSM reads with, or raft panics.
type closingStore struct {
	raft.SnapshotStore
	n      func() *Node
	closed chan error
	once   sync.Once
}

func (s *closingStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	if calledBy("runFSM") {
		s.once.Do(func() {
			n := s.n()
			go func() { s.closed <- n.Close() }()
			<-n.stop
		})
	}
	return s.SnapshotStore.Open(id)
}

// Close during a restore that raft holds waits for it: no panic, no
// goroutine left (goleak), and the restore completes.
func TestRestoreClose(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	var n *Node
	st := &closingStore{SnapshotStore: raft.NewInmemSnapshotStore(), n: func() *Node { return n }, closed: make(chan error, 1)}
	n, err := NewNode(Config{ID: "n1", Transport: inmemTransport("n1"), SnapshotStore: st, Raft: fastRaft()})
	require.NoError(t, err)
	require.NoError(t, n.Bootstrap(Server{ID: "n1", Addr: "n1"}))
	_, err = n.WaitLeader(context.Background())
	require.NoError(t, err)
	require.NoError(t, n.SetBytes(context.Background(), "old", nil))
	err = n.Restore(context.Background(), bytes.NewReader(b))
	if err != nil {
		require.ErrorIs(t, err, ErrClosed) // the noop after it met the shutdown
	}
	require.NoError(t, <-st.closed)
	require.Equal(t, uint64(1), n.fsm.restored(), "the restore raft held completed")
}

// Close while a Restore reads the backup cuts it short: ErrClosed, and
// nothing changes.
func TestRestoreCloseWhileSpooling(t *testing.T) {
	b, _, _ := backupOf(t, "new", 5)
	c := newCluster(t, 3, nil)
	l := c.leader()
	closed := make(chan error, 1)
	r := cancelReader{r: bytes.NewReader(b), cancel: func() {
		select {
		case <-l.stop:
		default:
			go func() { closed <- l.Close() }()
			<-l.stop
		}
	}}
	err := l.Restore(context.Background(), r)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, <-closed)
	require.Zero(t, l.fsm.restored())
}
