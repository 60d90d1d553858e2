package hurrah

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestOptionsDefaults: the defaults the README and the Options doc give.
func TestOptionsDefaults(t *testing.T) {
	for _, persistent := range []bool{true, false} {
		o, err := (*Options)(nil).resolve(persistent)
		require.NoError(t, err)
		want := MemoryOnly
		if persistent {
			want = Written
		}
		require.Equal(t, want, o.Durability)
		require.Equal(t, 100*time.Millisecond, o.SyncInterval)
		require.Equal(t, int64(64<<20), o.SegmentSize)
		require.Equal(t, 64<<10, o.MaxKeySize)
		require.Equal(t, 16<<20, o.MaxValueSize)
		require.Equal(t, 1024, o.MailboxSize)
		require.Equal(t, 256, o.MaxDrain)
		require.Equal(t, vfs.OS, o.fs)
	}
}

// syncCounter counts fsyncs of journal segments.
func syncCounter() (*vfs.Faulty, *atomic.Int64) {
	var n atomic.Int64
	return &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		if op == vfs.OpSync && isWAL(name) {
			n.Add(1)
		}
		return nil
	}}, &n
}

// TestSyncFsyncs: Sync makes acknowledged writes durable by an fsync of the
// journal, even when the sync interval would not come round for an hour, and
// costs nothing when everything is already synced.
func TestSyncFsyncs(t *testing.T) {
	for _, level := range []Durability{Buffered, Written} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			fsys, syncs := syncCounter()
			db := openT(t, newDir(t), &Options{Durability: level, SyncInterval: time.Hour, fs: fsys})
			require.NoError(t, Set(ctx, db, "k", "v"))
			before := syncs.Load()
			require.NoError(t, db.Sync(ctx))
			require.Greater(t, syncs.Load(), before, "Sync after a write must fsync")

			after := syncs.Load()
			require.NoError(t, db.Sync(ctx))
			require.Equal(t, after, syncs.Load(), "nothing was written since: no fsync")
		})
	}
}

// TestCloseFsyncs: Close makes every acknowledged write durable.
func TestCloseFsyncs(t *testing.T) {
	fsys, syncs := syncCounter()
	db, err := Open(newDir(t), &Options{SyncInterval: time.Hour, fs: fsys})
	require.NoError(t, err)
	require.NoError(t, Set(t.Context(), db, "k", "v"))
	before := syncs.Load()
	require.NoError(t, db.Close())
	require.Greater(t, syncs.Load(), before, "Close after a write must fsync")
}

// TestContextEnded: a call whose context has ended returns the context's
// error and, for a write, changes nothing.
func TestContextEnded(t *testing.T) {
	for kind, open := range storeKinds(t) {
		t.Run(kind, func(t *testing.T) {
			db := open(t)
			ended, cancel := context.WithCancel(t.Context())
			cancel()
			require.ErrorIs(t, Set(ended, db, "k", "v"), context.Canceled)
			require.ErrorIs(t, db.SetBytes(ended, "k", []byte("v")), context.Canceled)
			_, err := db.Delete(ended, "k")
			require.ErrorIs(t, err, context.Canceled)
			require.ErrorIs(t, db.Clear(ended), context.Canceled)
			require.ErrorIs(t, db.Sync(ended), context.Canceled)
			_, err = Get[string](ended, db, "k")
			require.ErrorIs(t, err, context.Canceled)

			ctx := t.Context()
			n, err := db.Len(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "a write with an ended context changed the store")
		})
	}
}

// TestInvalidOptionsNamesEveryField: one Open names every bad option.
func TestInvalidOptionsNamesEveryField(t *testing.T) {
	_, err := Open(newDir(t), &Options{SyncInterval: -1, MaxDrain: -1, SegmentSize: 1})
	require.ErrorIs(t, err, ErrInvalidOptions)
	for _, field := range []string{"SyncInterval", "MaxDrain", "SegmentSize"} {
		require.Contains(t, err.Error(), field)
	}
}
