package hurrah

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// settledStats reads db's stats from inside an Update, which runs in the
// owner goroutine: they then count every call answered before, and not
// the Update itself.
func settledStats(t *testing.T, db *DB) Stats {
	t.Helper()
	var st Stats
	require.NoError(t, db.Update(t.Context(), func(*Tx) error { st = db.Stats(); return nil }))
	return st
}

// TestStatsCounts makes every kind of call and checks that Stats counts
// each by kind, with the totals, the LSNs, the mailbox and the fsyncs.
func TestStatsCounts(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, &Options{MailboxSize: 64, SyncInterval: 1 << 62})
	st := settledStats(t, db)
	require.Zero(t, st.Reads+st.Writes)
	require.Equal(t, 64, st.MailboxSize)

	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte(k)))
	}
	_, err := db.GetBytes(ctx, "a")
	require.NoError(t, err)
	_, err = db.Has(ctx, "zz")
	require.NoError(t, err)
	_, err = db.Delete(ctx, "c")
	require.NoError(t, err)
	_, err = db.CompareAndSwapBytes(ctx, "a", []byte("a"), []byte("A"))
	require.NoError(t, err)
	_, err = db.SetBytesIfAbsent(ctx, "a", []byte("x"))
	require.NoError(t, err)
	var b Batch
	b.SetBytes("d", []byte("d"))
	require.NoError(t, db.Write(ctx, &b))
	require.NoError(t, db.Update(ctx, func(tx *Tx) error { return nil }))
	_, err = db.GetBytesMany(ctx, []string{"a", "b"})
	require.NoError(t, err)
	_, err = db.Len(ctx)
	require.NoError(t, err)
	require.NoError(t, db.Sync(ctx))

	st = settledStats(t, db)
	require.Equal(t, Stats{
		Gets: 2, Sets: 3, Deletes: 1, CAS: 2, Batches: 1, Txs: 2, // the first settledStats too
		OwnerReads: 1, Queries: 1, Syncs: 1,
		Reads: 4, Writes: 9,
	}, Stats{
		Gets: st.Gets, Sets: st.Sets, Deletes: st.Deletes, CAS: st.CAS, Batches: st.Batches, Txs: st.Txs,
		OwnerReads: st.OwnerReads, Queries: st.Queries, Syncs: st.Syncs, Clears: st.Clears, Commands: st.Commands,
		Reads: st.Reads, Writes: st.Writes,
	})
	// Journaled: 3 sets, the delete, the swap, the batch.
	require.EqualValues(t, 6, st.AppliedLSN)
	require.Positive(t, st.Fsyncs, "Sync fsynced")
	require.Positive(t, st.FsyncMax)
	require.LessOrEqual(t, st.FsyncP50, st.FsyncP99)
	require.LessOrEqual(t, st.FsyncP99, st.FsyncMax)
	require.Zero(t, st.Mailbox, "nothing waits while the owner runs the Update")
	require.NoError(t, st.ReadOnly)
	require.False(t, st.Closed)

	require.NoError(t, db.Close())
	st = db.Stats()
	require.True(t, st.Closed)
	require.EqualValues(t, 6, st.AppliedLSN, "Stats works after Close")

	db = openT(t, dir, nil)
	require.EqualValues(t, 6, db.Stats().AppliedLSN, "what replay applied")
	require.Zero(t, db.Stats().Writes, "counts start at Open")
}

// TestStatsDurable checks DurableLSN and Lag once the journal reports what
// it synced (Journal.SyncedLSN): a Sync leaves no lag.
func TestStatsDurable(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), &Options{SyncInterval: 1 << 62})
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte(k)))
	}
	st := settledStats(t, db)
	require.EqualValues(t, 3, st.AppliedLSN)
	require.Zero(t, st.DurableLSN, "written, not synced: the sync interval never comes")
	require.EqualValues(t, 3, st.Lag)
	require.NoError(t, db.Sync(ctx))
	st = settledStats(t, db)
	require.EqualValues(t, 3, st.AppliedLSN)
	require.EqualValues(t, 3, st.DurableLSN)
	require.Zero(t, st.Lag)
}

// TestStatsSize checks Keys and Bytes once the key-value machine reports
// its size (KV.Size).
func TestStatsSize(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, db.SetBytes(ctx, k, []byte("12345")))
	}
	st := settledStats(t, db)
	require.Equal(t, 3, st.Keys)
	require.EqualValues(t, 3*(1+5), st.Bytes, "keys and values")
}

// TestStatsMemoryOnly checks that a memory-only store counts requests but
// reports no LSN, fsync or journal.
func TestStatsMemoryOnly(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, db.Sync(ctx))
	st := settledStats(t, db)
	require.EqualValues(t, 1, st.Sets)
	require.EqualValues(t, 1, st.Syncs)
	require.Zero(t, st.AppliedLSN+st.DurableLSN+st.Lag+st.Fsyncs)
	require.Zero(t, st.JournalBytes)
	require.Equal(t, DefaultMailboxSize, st.MailboxSize)
}

// TestStatsSystem checks a System's counts: commands and queries.
func TestStatsSystem(t *testing.T) {
	ctx := t.Context()
	sys := openBank(t, newDir(t), nil)
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "open", To: "x"}))
	require.NoError(t, sys.Commit(ctx, bankCmd{Op: "deposit", To: "x", Amount: 3}))
	_, err := Query(ctx, sys, func(s *bank) int { return s.Accounts["x"] })
	require.NoError(t, err)
	require.NoError(t, sys.Sync(ctx))
	var st Stats
	_, err = Query(ctx, sys, func(*bank) int { st = sys.Stats(); return 0 })
	require.NoError(t, err)
	require.EqualValues(t, 2, st.Commands)
	require.EqualValues(t, 1, st.Queries)
	require.EqualValues(t, 2, st.Writes)
	require.EqualValues(t, 1, st.Reads)
	require.EqualValues(t, 2, st.AppliedLSN)
	require.Zero(t, st.Keys)
}

// TestStatsConcurrent reads Stats, and its expvar form, while writers run,
// for the race detector, and checks that every write is counted once the
// store is closed.
func TestStatsConcurrent(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	v := StatsVar(db.Stats)
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				assert.NoError(t, db.SetBytes(ctx, fmt.Sprintf("%d-%d", w, i), []byte("v")))
			}
		})
	}
	done := make(chan struct{})
	var reads int
	go func() {
		defer close(done)
		var last uint64
		for {
			st := db.Stats()
			assert.GreaterOrEqual(t, st.Sets, last, "counts only grow")
			last = st.Sets
			_ = v.String()
			reads++
			if st.Closed {
				return
			}
		}
	}()
	wg.Wait()
	require.NoError(t, db.Close())
	<-done
	st := db.Stats()
	require.EqualValues(t, writers*each, st.Sets)
	require.EqualValues(t, writers*each, st.AppliedLSN)
	require.Positive(t, reads)
}
