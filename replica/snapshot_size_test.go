package replica

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/stretchr/testify/require"
)

// countingWrapper wraps a snapshot's reader as raft v1.7.2 does before it
// hands it to Restore (its countingReadCloser, unexported).
type countingWrapper struct {
	rc io.ReadCloser
	n  int64
}

func (c *countingWrapper) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n += int64(n)
	return n, err
}
func (c *countingWrapper) Close() error                     { return c.rc.Close() }
func (c *countingWrapper) WrappedReadCloser() io.ReadCloser { return c.rc }

var _ raft.ReadCloserWrapper = (*countingWrapper)(nil)

// storeSnapshot puts b in snaps as a snapshot at index 10 of a cluster of
// n1 and returns its ID.
func storeSnapshot(t *testing.T, snaps raft.SnapshotStore, b []byte) string {
	t.Helper()
	conf := raft.Configuration{Servers: []raft.Server{{ID: "n1", Address: "n1", Suffrage: raft.Voter}}}
	_, tr := raft.NewInmemTransport("n1") // raft's stores encode the peers' addresses with one
	defer tr.Close()
	sink, err := snaps.Create(raft.SnapshotVersionMax, 10, 1, conf, 1, tr)
	require.NoError(t, err)
	_, err = sink.Write(b)
	require.NoError(t, err)
	require.NoError(t, sink.Close())
	return sink.ID()
}

// smallBackup returns the backup of a DB holding n keys.
func smallBackup(t *testing.T, n int) []byte {
	t.Helper()
	ctx := context.Background()
	db, err := hurrah.Open("", nil)
	require.NoError(t, err)
	defer db.Close()
	for i := range n {
		require.NoError(t, db.SetBytes(ctx, string(rune('a'+i)), []byte("v")))
	}
	var buf bytes.Buffer
	_, err = db.Backup(ctx, &buf)
	require.NoError(t, err)
	return buf.Bytes()
}

// forgeCount sets the count of records in the header of backup b to
// count and makes the header's checksum right again: only the trailer,
// read last, shows the count wrong.
func forgeCount(b []byte, count uint64) {
	h := b[journal.BackupHeaderSize:] // the snapshot's header: count at 24..32, its CRC32C at 32..36
	binary.LittleEndian.PutUint64(h[24:32], count)
	binary.LittleEndian.PutUint32(h[32:36], crc32.Checksum(h[:32], castagnoli))
}

// Restore finds a snapshot's size through the reader guardedSnaps.Open
// returns, as raft wraps it, and OpenBackup sees the bytes left as the
// reader's Len; a reader that is not a snapshot so opened is left as it
// is.
func TestSnapshotSizeThroughRaftWrapper(t *testing.T) {
	b := smallBackup(t, 3)
	m, err := newFSM(context.Background())
	require.NoError(t, err)
	defer m.close()
	snaps := guardSnaps(raft.NewInmemSnapshotStore(), m, nil)
	id := storeSnapshot(t, snaps, b)
	meta, rc, err := snaps.Open(id)
	require.NoError(t, err)
	require.Equal(t, int64(len(b)), meta.Size)
	wrapped := &countingWrapper{rc: &countingWrapper{rc: rc}} // wrapped twice
	size, ok := snapshotSize(wrapped)
	require.True(t, ok)
	require.Equal(t, meta.Size, size)

	r := withLen(wrapped)
	l, ok := r.(interface{ Len() int })
	require.True(t, ok, "a Len for OpenBackup")
	require.Equal(t, len(b), l.Len())
	_, err = io.ReadFull(r, make([]byte, 10))
	require.NoError(t, err)
	require.Equal(t, len(b)-10, l.Len())
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, b[10:], rest, "read through raft's wrapper")
	require.Equal(t, int64(len(b)), wrapped.n, "raft's wrapper counted every byte")
	require.Zero(t, l.Len())

	plain := io.NopCloser(bytes.NewReader(b))
	_, ok = snapshotSize(&countingWrapper{rc: plain})
	require.False(t, ok)
	require.Equal(t, io.Reader(plain), withLen(plain))
}

// A node's snapshot whose header counts far more keys than it holds,
// every checksum right, makes no room for them as raft v1.7.2 restores it
// at the node's start (its own path: the store's Open, its counting
// wrapper, Restore): the map is bounded by the snapshot's size, a few
// hundred bytes, not by the 1M keys a restore of unknown size makes room
// for (some 100 MB allocated here). The node refuses to start, with ErrCorrupt.
func TestRestoreForgedCountBounded(t *testing.T) {
	b := smallBackup(t, 3)
	forgeCount(b, 1<<30)
	snaps := raft.NewInmemSnapshotStore() // its Open hides the size: a NopCloser over a Buffer
	storeSnapshot(t, snaps, b)
	allocated, err := startAllocs(snaps)
	require.ErrorIs(t, err, hurrah.ErrCorrupt)
	require.Less(t, allocated, uint64(16<<20), "bytes allocated")
}

// startAllocs starts a node on snaps, and stops it if it starts; it
// returns the bytes allocated meanwhile, and NewNode's error.
func startAllocs(snaps raft.SnapshotStore) (uint64, error) {
	logs := raft.NewInmemStore()
	_, tr := raft.NewInmemTransport("n1")
	defer tr.Close()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := NewNode(Config{ID: "n1", Transport: tr, LogStore: logs, StableStore: logs, SnapshotStore: snaps, Raft: testRaft()})
	runtime.ReadMemStats(&after)
	if n != nil {
		n.Close()
	}
	return after.TotalAlloc - before.TotalAlloc, err
}
