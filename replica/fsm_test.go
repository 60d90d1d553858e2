package replica

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// memSink is a raft.SnapshotSink into memory.
type memSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Close() error  { s.closed = true; return nil }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }

func newTestFSM(t *testing.T) *fsm {
	f, err := newFSM(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { f.close() })
	return f
}

// applyOps applies ops to f as the raft entry at index.
func applyAt(t *testing.T, f *fsm, index uint64, ops ...op) any {
	t.Helper()
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: appendEntry(nil, ops)})
}

func fsmContents(t *testing.T, f *fsm) map[string]string {
	return contents(t, &Node{fsm: f})
}

// A snapshot holds the state at the last Apply before it, even when
// Persist runs after later Applies; Restore brings it back, deadlines and
// applied index included.
func TestSnapshotPersistRestore(t *testing.T) {
	f := newTestFSM(t)
	at := time.Now().Add(time.Hour)
	require.Nil(t, applyAt(t, f, 1, op{kind: opSet, key: "a", value: []byte("1")},
		op{kind: opSet, key: "t", value: []byte("x"), at: at.UnixNano()}))
	require.Nil(t, applyAt(t, f, 2, op{kind: opSet, key: "b", value: []byte("2")}))
	snap, err := f.Snapshot()
	require.NoError(t, err)
	require.Nil(t, applyAt(t, f, 3, op{kind: opDelete, key: "a"}, op{kind: opSet, key: "c", value: []byte("3")}))
	var sink memSink
	require.NoError(t, snap.Persist(&sink))
	snap.Release()
	require.True(t, sink.closed)

	g := newTestFSM(t)
	require.NoError(t, g.Restore(io.NopCloser(&sink)))
	require.Equal(t, uint64(2), g.applied.Load())
	require.Equal(t, map[string]string{"a": "1", "b": "2", "t": "x"}, fsmContents(t, g))
	exp, err := g.db.Load().ExpiresAt(context.Background(), "t")
	require.NoError(t, err)
	require.Equal(t, at.UnixNano(), exp.UnixNano())
}

// A Clear inside an entry applies in its place among the entry's writes.
func TestApplyClearInAnEntry(t *testing.T) {
	f := newTestFSM(t)
	require.Nil(t, applyAt(t, f, 1, op{kind: opSet, key: "a", value: []byte("1")}))
	require.Nil(t, applyAt(t, f, 2, op{kind: opSet, key: "b", value: []byte("2")}, op{kind: opClear},
		op{kind: opSet, key: "c", value: []byte("3")}))
	require.Equal(t, map[string]string{"c": "3"}, fsmContents(t, f))
}

// A damaged or truncated snapshot is refused with hurrah.ErrCorrupt, and
// the state and applied index stay as they were.
func TestRestoreRefusesDamagedSnapshot(t *testing.T) {
	src := newTestFSM(t)
	for i := range 100 {
		require.Nil(t, applyAt(t, src, uint64(i+1), op{kind: opSet, key: string(rune('a'+i%26)) + string(rune('0'+i/26)), value: bytes.Repeat([]byte{byte(i)}, 40)}))
	}
	snap, err := src.Snapshot()
	require.NoError(t, err)
	var sink memSink
	require.NoError(t, snap.Persist(&sink))
	snap.Release()
	good := sink.Bytes()

	dst := newTestFSM(t)
	require.Nil(t, applyAt(t, dst, 7, op{kind: opSet, key: "mine", value: []byte("kept")}))
	damaged := map[string][]byte{"empty": nil, "truncated": good[:len(good)/2], "no trailer": good[:len(good)-1]}
	offsets := []int{0, 10, len(good) / 2, len(good) - 3}
	for _, off := range offsets {
		b := bytes.Clone(good)
		b[off] ^= 0x40
		damaged["flipped byte "+strconv.Itoa(off)] = b
	}
	require.Equal(t, 3+len(offsets), len(damaged), "every case has its own name")
	for name, b := range damaged {
		err := dst.Restore(io.NopCloser(bytes.NewReader(b)))
		require.ErrorIs(t, err, hurrah.ErrCorrupt, name)
		require.Equal(t, map[string]string{"mine": "kept"}, fsmContents(t, dst), name)
		require.Equal(t, uint64(7), dst.applied.Load(), name)
	}
	require.NoError(t, dst.Restore(io.NopCloser(bytes.NewReader(good))))
	require.Len(t, fsmContents(t, dst), 100)
}

// An entry that does not decode changes nothing and answers ErrBadEntry,
// on every node alike.
func TestApplyRefusesBadEntry(t *testing.T) {
	f := newTestFSM(t)
	require.Nil(t, applyAt(t, f, 1, op{kind: opSet, key: "a", value: []byte("1")}))
	good := appendEntry(nil, []op{{kind: opSet, key: "b", value: []byte("2")}, {kind: opDelete, key: "a"}})
	body := good[:len(good)-crcSize]
	for i := range len(body) - 1 { // as the leader would write it: sealed
		res := f.Apply(&raft.Log{Index: uint64(2 + i), Type: raft.LogCommand, Data: sealed(body[:i])})
		require.ErrorIs(t, res.(error), ErrBadEntry, "cut at %d", i)
	}
	res := f.Apply(&raft.Log{Index: 100, Type: raft.LogCommand, Data: appendEntry(nil, []op{{kind: opSet, key: "b"}, {kind: opSet, key: ""}})})
	require.ErrorIs(t, res.(error), ErrBadEntry)
	require.ErrorIs(t, res.(error), hurrah.ErrInvalidKey)
	require.Equal(t, map[string]string{"a": "1"}, fsmContents(t, f))
	require.Equal(t, uint64(100), f.applied.Load(), "a refused entry is still applied, as a no-op")
}
