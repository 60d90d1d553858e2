package replica

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flipStore is a snapshot store whose snapshots read back with one byte
// flipped: damage on the disk under raft's snapshot store.
type flipStore struct {
	raft.SnapshotStore
	at int
}

func (s flipStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	meta, rc, err := s.SnapshotStore.Open(id)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, err
	}
	b[s.at%len(b)] ^= 0x10
	return meta, io.NopCloser(bytes.NewReader(b)), nil
}

// A node restarted over a damaged snapshot refuses to start, rather than
// start from a wrong state; over the intact one it starts and has it all.
func TestRestartRefusesDamagedSnapshot(t *testing.T) {
	c := newCluster(t, 3, nil)
	l := c.leader()
	want := c.setKeys("k", 30)
	f := c.followers(l)[0]
	caughtUp(t, f, l.AppliedIndex())
	require.NoError(t, f.Raft().Snapshot().Error())
	id := f.ID()
	c.stop(id)

	st := c.stores[id]
	_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
	_, err := NewNode(Config{
		ID: id, Transport: tr, LogStore: st.logs, StableStore: st.stable,
		SnapshotStore: flipStore{st.snaps, 200}, Raft: testRaft(),
	})
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	tr.Close()

	f = c.start(id)
	caughtUp(t, f, l.AppliedIndex())
	require.Equal(t, want, contents(t, f))
}

// blockingSink is a snapshot sink whose writes block until the test lets
// them go, so that Close meets a snapshot being written.
type blockingSink struct {
	memSink
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *blockingSink) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.started) })
	<-s.release
	return s.memSink.Write(p)
}

// Close while a snapshot is being written cuts it short: the node stops,
// the snapshot is cancelled, and no goroutine is left (goleak checks).
func TestCloseDuringPersist(t *testing.T) {
	c := newCluster(t, 1, nil)
	l := c.leader()
	for i := range 40 { // 2.5 MiB: Persist looks at ctx after each MiB
		require.NoError(t, l.SetBytes(context.Background(), strconv.Itoa(i), bytes.Repeat([]byte{'x'}, 64<<10)))
	}
	snap, err := l.fsm.Snapshot()
	require.NoError(t, err)
	sink := &blockingSink{started: make(chan struct{}), release: make(chan struct{})}
	persisted := make(chan error, 1)
	go func() { persisted <- snap.Persist(sink) }()
	<-sink.started
	c.stop(l.ID())
	close(sink.release)
	require.ErrorIs(t, <-persisted, context.Canceled)
	require.True(t, sink.cancelled)
	snap.Release()
}

// Close under a load of writes answers every call: raft drops the futures
// of entries waiting for its FSM goroutine when it shuts down, so Close
// lets every round be answered before it stops raft. Each writer gets
// nil, ErrClosed or ErrUncertain, and none waits for ever.
func TestCloseUnderLoadAnswersEveryCall(t *testing.T) {
	for range 5 {
		c := newCluster(t, 1, nil)
		l := c.leader()
		var wg sync.WaitGroup
		for w := range 32 {
			wg.Go(func() {
				for i := 0; ; i++ {
					err := l.SetBytes(context.Background(), strconv.Itoa(w*1e6+i), []byte("x"))
					if err != nil {
						assert.ErrorIs(t, err, ErrClosed) // not require: this is not the test's goroutine
						return
					}
				}
			})
		}
		c.setKeys("k", 50) // writers are busy by now
		c.stop(l.ID())
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
}
