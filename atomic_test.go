package hurrah

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

func TestBatchWrite(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, &Options{Durability: Synced})
	require.NoError(t, db.SetBytes(ctx, "gone", []byte("x")))

	var b Batch
	b.SetBytes("a", []byte("1"))
	require.NoError(t, BatchSet(&b, "b", 2))
	b.Delete("gone")
	b.SetBytes("a", []byte("last wins"))
	require.Equal(t, 4, b.Len())
	require.NoError(t, db.Write(ctx, &b))

	got, err := db.GetBytes(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "last wins", string(got))
	n, err := Get[int](ctx, db, "b")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	ok, err := db.Has(ctx, "gone")
	require.NoError(t, err)
	require.False(t, ok)

	// The batch is one record.
	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	require.EqualValues(t, 2, db.Recovery().Records)
	got, err = db.GetBytes(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "last wins", string(got))
}

func TestBatchRefusedWhole(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), &Options{MaxValueSize: 8})
	cases := map[string]func(*Batch){
		"empty key":   func(b *Batch) { b.SetBytes("", []byte("v")) },
		"big value":   func(b *Batch) { b.SetBytes("k", []byte("123456789")) },
		"empty del":   func(b *Batch) { b.Delete("") },
		"long key":    func(b *Batch) { b.SetBytes(strings.Repeat("k", DefaultMaxKeySize+1), nil) },
		"huge delete": func(b *Batch) { b.Delete(strings.Repeat("k", MaxKeySizeLimit+1)) },
	}
	want := map[string]error{"empty key": ErrInvalidKey, "empty del": ErrInvalidKey}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			var b Batch
			b.SetBytes("ok", []byte("v"))
			bad(&b)
			err := db.Write(ctx, &b)
			if w, ok := want[name]; ok {
				require.ErrorIs(t, err, w)
			} else {
				require.ErrorIs(t, err, ErrTooLarge)
			}
			n, err := db.Len(ctx)
			require.NoError(t, err)
			require.Zero(t, n, "nothing of a refused batch is applied")
		})
	}
	var b Batch
	require.ErrorIs(t, BatchSet(&b, "k", make(chan int)), ErrEncode)
	require.Zero(t, b.Len())
	require.NoError(t, db.Write(ctx, &b), "an empty batch is a no-op")

	// Reuse after Reset, and a batch written twice.
	b.SetBytes("x", []byte("1"))
	require.NoError(t, db.Write(ctx, &b))
	b.Reset()
	require.Zero(t, b.Len())
	b.Delete("x")
	require.NoError(t, db.Write(ctx, &b))
	ok, err := db.Has(ctx, "x")
	require.NoError(t, err)
	require.False(t, ok)
}

// TestWriteNilBatch: Write of a nil *Batch returns ErrInvalidBatch (it
// once panicked in the caller) and writes nothing; on a closed store
// ErrClosed wins, as for every bad argument.
func TestWriteNilBatch(t *testing.T) {
	ctx := t.Context()
	for _, dir := range []string{"", newDir(t)} {
		db := openT(t, dir, nil)
		require.ErrorIs(t, db.Write(ctx, nil), ErrInvalidBatch)
		n, err := db.Len(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		require.NoError(t, db.Close())
		require.ErrorIs(t, db.Write(ctx, nil), ErrClosed)
	}
}

// TestBatchAtomicUnderPowerLoss cuts the power at every file operation of a
// Synced store writing batches: every reopen holds whole batches only.
func TestBatchAtomicUnderPowerLoss(t *testing.T) {
	const batches, size = 6, 50
	write := func(db *DB) (acked int) {
		for i := range batches {
			var b Batch
			for j := range size {
				b.SetBytes(fmt.Sprintf("k%02d", j), []byte(fmt.Sprint(i)))
			}
			if db.Write(context.Background(), &b) != nil {
				return
			}
			acked++
		}
		return
	}
	points := 0
	for at := 1; ; at++ {
		live := vfs.NewMem()
		var images []*vfs.Mem
		inj := cutPower(at, func() {
			images = []*vfs.Mem{live.Crash(vfs.CrashOptions{}), live.Crash(vfs.CrashOptions{Rand: rand.New(rand.NewPCG(uint64(at), 1)), Tear: true})}
		})
		db, err := Open(harnessDir, &Options{Durability: Synced, fs: &vfs.Faulty{FS: live, Inject: inj.Inject}})
		acked := 0
		if err == nil {
			acked = write(db)
			db.Close()
		}
		if images == nil {
			break // the power was never cut: every operation is covered
		}
		points++
		for _, img := range images {
			db, err := Open(harnessDir, &Options{fs: img})
			require.NoError(t, err)
			got := storeContents(t, db)
			require.NoError(t, db.Close())
			round := -1
			for k, v := range got {
				r, err := strconv.Atoi(v)
				require.NoError(t, err, k)
				if round == -1 {
					round = r
				}
				require.Equal(t, round, r, "keys from two batches: a batch was half applied")
			}
			if len(got) > 0 {
				require.Len(t, got, size)
			}
			require.GreaterOrEqual(t, round+1, acked, "an acknowledged batch was lost")
		}
	}
	require.Positive(t, points)
}

func TestSetIfAbsent(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := []int{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := SetIfAbsent(ctx, db, "leader", g)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				mu.Lock()
				won = append(won, g)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, won, 1, "exactly one set wins")
	ok, err := db.SetBytesIfAbsent(ctx, "leader", []byte("x"))
	require.NoError(t, err)
	require.False(t, ok)
	_, err = SetIfAbsent(ctx, db, "k", make(chan int))
	require.ErrorIs(t, err, ErrEncode)
	_, err = db.SetBytesIfAbsent(ctx, "", nil)
	require.ErrorIs(t, err, ErrInvalidKey)

	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	require.EqualValues(t, 1, db.Recovery().Records, "only the winning set is journaled")
	v, err := Get[int](ctx, db, "leader")
	require.NoError(t, err)
	require.Equal(t, won[0], v)
}

func TestUpdateReadModifyWrite(t *testing.T) {
	ctx := context.Background()
	dir := newDir(t)
	db := openT(t, dir, nil)
	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := db.Update(ctx, func(tx *Tx) error {
					n, err := TxGet[int](tx, "counter")
					if err != nil && !errors.Is(err, ErrNotFound) {
						return err
					}
					if err := TxSet(tx, "counter", n+1); err != nil {
						return err
					}
					// A transaction sees its own writes.
					m, err := TxGet[int](tx, "counter")
					if err != nil || m != n+1 {
						return fmt.Errorf("read own write: %d, %v", m, err)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := Get[int](ctx, db, "counter")
	require.NoError(t, err)
	require.Equal(t, goroutines*each, n, "no increment lost")

	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	n, err = Get[int](ctx, db, "counter")
	require.NoError(t, err)
	require.Equal(t, goroutines*each, n)
}

func TestUpdateAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	require.NoError(t, db.SetBytes(ctx, "a", []byte("old")))
	errStop := errors.New("stop")
	var kept *Tx
	err := db.Update(ctx, func(tx *Tx) error {
		kept = tx
		require.NoError(t, tx.SetBytes("a", []byte("new")))
		require.NoError(t, tx.SetBytes("b", []byte("new")))
		existed, err := tx.Delete("a")
		require.NoError(t, err)
		require.True(t, existed)
		ok, err := tx.Has("a")
		require.NoError(t, err)
		require.False(t, ok)
		return errStop
	})
	require.ErrorIs(t, err, errStop)
	got, err := db.GetBytes(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "old", string(got), "a failed transaction applies nothing")
	ok, err := db.Has(ctx, "b")
	require.NoError(t, err)
	require.False(t, ok)

	require.ErrorIs(t, kept.SetBytes("a", nil), ErrTxDone)
	_, err = kept.GetBytes("a")
	require.ErrorIs(t, err, ErrTxDone)

	err = db.Update(ctx, func(tx *Tx) error {
		require.NoError(t, tx.SetBytes("a", []byte("half")))
		var m map[string]int
		m["boom"] = 1 // panics
		return nil
	})
	require.ErrorIs(t, err, ErrPanic)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, fmt.Sprint(pe.Value), "nil map")
	require.NotEmpty(t, pe.Stack)
	got, err = db.GetBytes(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "old", string(got), "a transaction that panicked applies nothing")
	require.NoError(t, db.SetBytes(ctx, "after", nil), "the store goes on after a panic")

	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.SetBytes("", nil); !errors.Is(err, ErrInvalidKey) {
			return fmt.Errorf("want ErrInvalidKey, got %v", err)
		}
		return TxSet(tx, "c", make(chan int))
	})
	require.ErrorIs(t, err, ErrEncode)
}

func TestViewPointInTime(t *testing.T) {
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	want := map[string]string{}
	for i := range 300 {
		k := fmt.Sprintf("user:%03d", i)
		if i%3 == 0 {
			k = fmt.Sprintf("item:%03d", i)
		}
		require.NoError(t, Set(ctx, db, k, fmt.Sprint(i)))
		want[k] = fmt.Sprint(i)
	}
	v, err := db.View(ctx)
	require.NoError(t, err)

	// Change everything while the view is open.
	for k := range want {
		require.NoError(t, Set(ctx, db, k, "changed"))
	}
	require.NoError(t, Set(ctx, db, "user:new", "x"))
	_, err = db.Delete(ctx, "user:001")
	require.NoError(t, err)

	require.Equal(t, len(want), v.Len())
	got := map[string]string{}
	for k, b := range v.All() {
		s, err := Decode[string](b)
		require.NoError(t, err)
		got[k] = s
	}
	require.Equal(t, want, got, "the view does not see later writes")

	var users []string
	for k := range v.Sorted("user:") {
		users = append(users, k)
	}
	require.True(t, slices.IsSorted(users))
	require.Len(t, users, 200)
	for k := range v.Prefix("item:") {
		require.True(t, strings.HasPrefix(k, "item:"))
	}
	s, err := ViewGet[string](v, "user:001")
	require.NoError(t, err)
	require.Equal(t, "1", s)
	_, err = v.GetBytes("user:new")
	require.ErrorIs(t, err, ErrNotFound)

	// A second view sees the changes; the first still does not.
	v2, err := db.View(ctx)
	require.NoError(t, err)
	s, err = ViewGet[string](v2, "user:002")
	require.NoError(t, err)
	require.Equal(t, "changed", s)
	require.NoError(t, db.Clear(ctx))
	require.Equal(t, len(want)+1-1, v2.Len())
	s, err = ViewGet[string](v, "user:002")
	require.NoError(t, err)
	require.Equal(t, "2", s)

	require.NoError(t, v.Close())
	require.NoError(t, v.Close(), "Close is idempotent")
	_, err = v.GetBytes("user:002")
	require.ErrorIs(t, err, ErrClosed)
	require.Empty(t, slices.Collect(maps.Keys(maps.Collect(v.All()))))
	require.NoError(t, v2.Close())

	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, db.Close())
	v3, err := db.View(ctx)
	require.ErrorIs(t, err, ErrClosed)
	require.Nil(t, v3)
}

func TestViewWhileWriting(t *testing.T) {
	ctx := context.Background()
	db := openT(t, "", nil)
	for i := range 10000 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%05d", i), []byte{byte(i)}))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			k := fmt.Sprintf("k%05d", i%20000)
			if i%3 == 0 {
				_, _ = db.Delete(ctx, k)
			} else {
				_ = db.SetBytes(ctx, k, []byte("w"))
			}
		}
	}()
	for range 20 {
		v, err := db.View(ctx)
		require.NoError(t, err)
		n := 0
		seen := map[string]bool{}
		for k := range v.All() {
			require.False(t, seen[k], "a key yielded twice")
			seen[k] = true
			n++
		}
		require.Equal(t, v.Len(), n)
		require.NoError(t, v.Close())
	}
	close(done)
	wg.Wait()
	keys, err := db.Keys(ctx)
	require.NoError(t, err)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Len(t, keys, n)
}

func TestViewContextEnded(t *testing.T) {
	db := openT(t, "", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := db.View(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, v)
	// The store is not left frozen: a write and a fresh view work.
	require.NoError(t, db.SetBytes(context.Background(), "k", nil))
	v, err = db.View(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, v.Len())
	require.NoError(t, v.Close())
}

// TestRecordLimit makes batches and transactions whose record would pass
// the journal's limit: they are refused with ErrTooLarge before anything is
// applied, and the store stays writable (the journal would have turned
// read-only on such a record).
func TestRecordLimit(t *testing.T) {
	defer func(old int) { maxRecord = old }(maxRecord)
	maxRecord = 1000
	ctx := context.Background()
	db := openT(t, newDir(t), nil)
	big := make([]byte, 600)
	var b Batch
	b.SetBytes("a", big)
	b.SetBytes("b", big)
	require.ErrorIs(t, db.Write(ctx, &b), ErrTooLarge)
	err := db.Update(ctx, func(tx *Tx) error {
		require.NoError(t, tx.SetBytes("a", big))
		return tx.SetBytes("b", big)
	})
	require.ErrorIs(t, err, ErrTooLarge)
	n, err := db.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing of a refused record is applied")
	require.NoError(t, db.SetBytes(ctx, "a", big), "the store is still writable")
}
