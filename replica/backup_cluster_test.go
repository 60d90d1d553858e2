package replica

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// openBackup loads a Node's backup as the root's tools do.
func openBackup(t *testing.T, b []byte) (map[string]string, uint64) {
	t.Helper()
	db, lsn, err := hurrah.OpenBackup(context.Background(), bytes.NewReader(b), nil)
	require.NoError(t, err)
	defer db.Close()
	v, err := db.View(context.Background())
	require.NoError(t, err)
	defer v.Close()
	m := map[string]string{}
	for k, b := range v.All() {
		m[k] = string(b)
	}
	return m, lsn
}

// fill writes n keys of 100 bytes through the leader, 1000 an entry:
// enough for a backup to look at its ctx a few times as it writes.
func fill(t *testing.T, l *Node, n int) {
	t.Helper()
	v := bytes.Repeat([]byte("v"), 100)
	for i := 0; i < n; i += 1000 {
		var ops []op
		for j := i; j < min(i+1000, n); j++ {
			ops = append(ops, op{kind: opSet, key: fmt.Sprint("f", j), value: v})
		}
		require.NoError(t, l.write(context.Background(), ops...))
	}
}

// Every write acknowledged before a linearizable Backup is in it, and the
// backup is at the index it returns, at or after the writes'.
func TestBackupLeaderHoldsAcked(t *testing.T) {
	c := newCluster(t, 3, nil)
	want := c.setKeys("k", 100)
	l := c.leader()
	acked := l.AppliedIndex()
	var buf bytes.Buffer
	index, err := l.Backup(context.Background(), &buf)
	require.NoError(t, err)
	require.GreaterOrEqual(t, index, acked)
	got, lsn := openBackup(t, buf.Bytes())
	require.Equal(t, want, got)
	require.Equal(t, index, lsn, "the backup's LSN is the index Backup returns")
}

// A follower refuses a linearizable Backup, naming the leader; with Stale
// it backs up its own state, which has every write it has applied.
func TestBackupFollower(t *testing.T) {
	c := newCluster(t, 3, nil)
	want := c.setKeys("k", 20)
	l := c.leader()
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex()) // it has heard from the leader
	var buf bytes.Buffer
	_, err := f.Backup(context.Background(), &buf)
	var nl *NotLeaderError
	require.ErrorAs(t, err, &nl)
	require.Equal(t, l.ID(), nl.LeaderID)
	require.Zero(t, buf.Len(), "a refused backup writes nothing")

	index, err := f.Backup(context.Background(), &buf, Stale(0))
	require.NoError(t, err)
	got, lsn := openBackup(t, buf.Bytes())
	require.Equal(t, want, got)
	require.Equal(t, index, lsn)
}

// A stale Backup on a follower cut off from the leader for longer than
// its bound returns ErrTooStale and writes nothing.
func TestBackupStaleBound(t *testing.T) {
	c := newCluster(t, 3, nil)
	c.setKeys("k", 5)
	f := c.followers(c.leader())[0]
	c.partition(f.ID())
	var buf bytes.Buffer
	require.Eventually(t, func() bool {
		buf.Reset()
		_, err := f.Backup(context.Background(), &buf, Stale(100*time.Millisecond))
		return errors.Is(err, ErrTooStale)
	}, waitFor, 10*time.Millisecond)
	require.Zero(t, buf.Len())
}

// ctxWriter cancels its context at its first write.
type ctxWriter struct {
	bytes.Buffer
	cancel context.CancelFunc
}

func (w *ctxWriter) Write(p []byte) (int, error) {
	w.cancel()
	return w.Buffer.Write(p)
}

// A Backup whose ctx ends while it writes returns ctx's error, and what
// it wrote is refused as damaged.
func TestBackupCtxEnds(t *testing.T) {
	c := newCluster(t, 3, nil)
	fill(t, c.leader(), 20000)
	ctx, cancel := context.WithCancel(context.Background())
	w := &ctxWriter{cancel: cancel}
	_, err := c.leader().Backup(ctx, w)
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = hurrah.OpenBackup(context.Background(), bytes.NewReader(w.Bytes()), nil)
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
}

// A Backup never holds half an entry: every entry here clears the store
// and sets a and b to one value, so a backup taken between its Clear and
// its sets (which apply in two steps: a batch holds no Clear) would be
// empty.
func TestBackupWholeEntries(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	ctx := context.Background()
	write := func(i int) error {
		v := []byte(fmt.Sprint(i))
		return l.write(ctx, op{kind: opClear}, op{kind: opSet, key: "a", value: v}, op{kind: opSet, key: "b", value: v})
	}
	require.NoError(t, write(0))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := write(i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)
	for range 300 {
		var buf bytes.Buffer
		_, err := l.Backup(ctx, &buf, Stale(0))
		require.NoError(t, err)
		got, _ := openBackup(t, buf.Bytes())
		require.Len(t, got, 2, "half an entry: %v", got)
		require.Equal(t, got["a"], got["b"])
	}
}

// closingWriter closes the node at its first write, and lets the backup
// go on once Close has begun.
type closingWriter struct {
	bytes.Buffer
	n      *Node
	closed chan error
	once   sync.Once
}

func (w *closingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		go func() { w.closed <- w.n.Close() }()
		<-w.n.stop // Close has begun
	})
	return w.Buffer.Write(p)
}

// Close during a Backup cuts it short (ErrClosed) and waits for it; no
// goroutine is left (goleak, TestMain).
func TestBackupClose(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	fill(t, l, 20000)
	w := &closingWriter{n: l, closed: make(chan error, 1)}
	_, err := l.Backup(context.Background(), w)
	require.ErrorIs(t, err, ErrClosed)
	require.NoError(t, <-w.closed)
	_, _, err = hurrah.OpenBackup(context.Background(), bytes.NewReader(w.Bytes()), nil)
	require.ErrorIs(t, err, hurrah.ErrCorrupt, "what it wrote is refused")
	_, err = l.Backup(context.Background(), io.Discard, Stale(0))
	require.ErrorIs(t, err, ErrClosed)
}

// A SystemNode's backup holds its State, loadable by the root's tools.
func TestSystemBackup(t *testing.T) {
	c := newSysCluster(t, 3, nil)
	for i := range 10 {
		require.NoError(t, c.commit(tallyCmd{Key: fmt.Sprint("x", i%3), Add: 1}))
	}
	l := c.leader()
	var buf bytes.Buffer
	index, err := l.Backup(context.Background(), &buf)
	require.NoError(t, err)
	sys, lsn, err := hurrah.OpenSystemBackup[tally, tallyCmd](context.Background(), bytes.NewReader(buf.Bytes()), nil)
	require.NoError(t, err)
	defer sys.Close()
	require.Equal(t, index, lsn)
	got, err := hurrah.Query(context.Background(), sys, func(s *tally) map[string]int { return maps.Clone(s.N) })
	require.NoError(t, err)
	require.Equal(t, map[string]int{"x0": 4, "x1": 3, "x2": 3}, got)
	_, _, err = hurrah.OpenBackup(context.Background(), bytes.NewReader(buf.Bytes()), nil)
	require.ErrorIs(t, err, hurrah.ErrBadInput, "a System's backup is not a DB's")
}

// A Node's backup is a DB backup for the root's tools: hurrah.Restore
// makes a store on disk of it. And a DB's own backup (DB.Backup)
// restores into a cluster.
func TestBackupRootTools(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, 1, nil)
	want := c.setKeys("k", 10)
	var buf bytes.Buffer
	index, err := c.leader().Backup(ctx, &buf)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "db")
	rep, err := hurrah.Restore(ctx, dir, &buf, nil)
	require.NoError(t, err)
	require.Equal(t, index, rep.LSN)
	db, err := hurrah.Open(dir, nil)
	require.NoError(t, err)
	v, err := db.GetBytes(ctx, "k3")
	require.NoError(t, err)
	require.Equal(t, want["k3"], string(v))
	require.NoError(t, db.SetBytes(ctx, "from-db", []byte("yes")))
	buf.Reset()
	_, err = db.Backup(ctx, &buf)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	require.NoError(t, c.leader().Restore(ctx, &buf))
	want["from-db"] = "yes"
	require.Equal(t, want, contents(t, c.leader()))
}
