package hurrah

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// collect reads changes from seq up to the first with LSN last or more,
// included, or up to an error, which it returns.
func collect(t testing.TB, seq iter.Seq2[Change, error], last uint64) ([]Change, error) {
	t.Helper()
	return collectUntil(seq, func(c Change) bool { return c.LSN >= last })
}

// collectUntil reads changes from seq up to the first that stop accepts,
// included, or up to an error, which it returns.
func collectUntil(seq iter.Seq2[Change, error], stop func(Change) bool) ([]Change, error) {
	var got []Change
	for c, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, c)
		if stop(c) {
			break
		}
	}
	return got, nil
}

// journalChanges returns every change the journal of the closed store in
// dir holds, from its oldest entry on, as Watch reports them.
func journalChanges(t testing.TB, dir string) []Change {
	t.Helper()
	var all []Change
	j, _, err := journal.Open(vfs.OS, dir, journal.Options{}, func(e handoff.Entry) error {
		cs, err := store.Changes(nil, e.Data)
		for _, c := range cs {
			all = append(all, Change{LSN: e.LSN, Kind: kindOf(c.Op), Key: c.Key, Value: c.Value, Expires: deadlineTime(c.At)})
		}
		return err
	})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	return all
}

// requireInOrder requires cs to hold every LSN from first on, in order.
func requireInOrder(t testing.TB, cs []Change, first uint64) {
	t.Helper()
	next := first
	for i, c := range cs {
		if c.LSN == next-1 && i > 0 {
			continue // a batch's next change
		}
		require.Equal(t, next, c.LSN, "change %d", i)
		next++
	}
}

func TestWatchReportsEveryKind(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("1")))
	require.NoError(t, Set(ctx, db, "b", 2))
	_, err := db.Delete(ctx, "a")
	require.NoError(t, err)
	b := &Batch{}
	b.SetBytes("c", []byte("3"))
	b.Delete("b")
	require.NoError(t, db.Write(ctx, b))
	require.NoError(t, db.Update(ctx, func(tx *Tx) error { return tx.SetBytes("d", nil) }))
	require.NoError(t, db.Clear(ctx))

	got, err := collect(t, db.Watch(ctx, 1, nil), 6)
	require.NoError(t, err)
	two, _ := encode(2)
	require.Equal(t, []Change{
		{LSN: 1, Kind: ChangeSet, Key: "a", Value: []byte("1")},
		{LSN: 2, Kind: ChangeSet, Key: "b", Value: two},
		{LSN: 3, Kind: ChangeDelete, Key: "a"},
		{LSN: 4, Kind: ChangeSet, Key: "c", Value: []byte("3")},
		{LSN: 4, Kind: ChangeDelete, Key: "b"},
		{LSN: 5, Kind: ChangeSet, Key: "d", Value: []byte{}},
		{LSN: 6, Kind: ChangeClear},
	}, got)
	v, err := DecodeChange[int](db, got[1])
	require.NoError(t, err)
	require.Equal(t, 2, v)
	require.Equal(t, "set delete clear change?", fmt.Sprint(ChangeSet, ChangeDelete, ChangeClear, ChangeKind(9)))
}

func TestWatchPrefix(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	for _, k := range []string{"user/1", "order/1", "user/2"} {
		require.NoError(t, db.SetBytes(ctx, k, nil))
	}
	require.NoError(t, db.Clear(ctx))
	require.NoError(t, db.SetBytes(ctx, "user/3", nil))
	got, err := collect(t, db.Watch(ctx, 1, &WatchOptions{Prefix: "user/"}), 5)
	require.NoError(t, err)
	var keys []string
	for _, c := range got {
		keys = append(keys, fmt.Sprintf("%d %v %s", c.LSN, c.Kind, c.Key))
	}
	require.Equal(t, []string{"1 set user/1", "3 set user/2", "4 clear ", "5 set user/3"}, keys)
}

// TestWatchConcurrent has writers and watchers run at once; each watcher
// must see exactly what the journal holds, in order.
func TestWatchConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{SegmentSize: MinSegmentSize * 4})
	const writers, each = 4, 1500
	const total = writers * each // at least as many writes
	var wg sync.WaitGroup
	results := make([][]Change, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := collectUntil(db.Watch(ctx, 1, &WatchOptions{Durable: i == 2}), func(c Change) bool { return c.Key == "end" })
			if err != nil {
				t.Error(err)
			}
			results[i] = got
		}()
	}
	var writing sync.WaitGroup
	for w := range writers {
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range each {
				k := fmt.Sprintf("k%d", (w*each+i)%97)
				var err error
				switch i % 5 {
				case 3:
					_, err = db.Delete(ctx, k)
					if err == nil {
						// A delete of a missing key writes nothing: keep the
						// count of writes exact with a set.
						err = db.SetBytes(ctx, k+"x", []byte{byte(i)})
					}
				case 4:
					b := &Batch{}
					b.SetBytes(k, []byte{byte(w)})
					b.SetBytes(k+"y", []byte{byte(i)})
					err = db.Write(ctx, b)
				default:
					err = db.SetBytes(ctx, k, []byte(fmt.Sprint(w, i)))
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	writing.Wait()
	require.NoError(t, db.SetBytes(ctx, "end", nil))
	wg.Wait()
	require.NoError(t, db.Close())
	want := journalChanges(t, dir)
	require.Equal(t, "end", want[len(want)-1].Key)
	require.Greater(t, len(want), total)
	for i, got := range results {
		require.Equal(t, want, got, "watcher %d", i)
	}
	requireInOrder(t, want, 1)
}
