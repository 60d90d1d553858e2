package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// TestEngineConcurrent has many goroutines mix updates of every kind,
// queries and syncs on a few keys, with a sink that settles asynchronously.
// Every call must return, and the final state must equal a replay, in LSN
// order, of the entries the sink was given.
func TestEngineConcurrent(t *testing.T) {
	const workers, opsPer = 64, 200
	keys := []string{"a", "b", "c", "\xff\xfe", ""}
	ctx := context.Background()

	s := newAutoSink()
	e := newKVEngine(0)
	// A small mailbox so that callers also wait for room.
	e.Start(s, actor.Options{Mailbox: 16, MaxDrain: 8})

	var sets, foundDeletes, batches atomic.Int64
	step := func(rng *rand.Rand, w, i int) error {
		level := levels[rng.IntN(len(levels))]
		key := func() string { return keys[rng.IntN(len(keys))] }
		val := fmt.Sprintf("w%d-%d", w, i)
		switch p := rng.IntN(100); {
		case p < 30:
			sets.Add(1)
			_, err := update(ctx, e, set(key(), val), level)
			return err
		case p < 42:
			r, err := update(ctx, e, del(key()), level)
			if r.Found {
				foundDeletes.Add(1)
			}
			return err
		case p < 44:
			_, err := update(ctx, e, clr(), level)
			return err
		case p < 56:
			ms := make([]store.Mutation, 1+rng.IntN(4))
			for j := range ms {
				if rng.IntN(3) == 0 {
					ms[j] = mdel(key())
				} else {
					ms[j] = mset(key(), fmt.Sprintf("%s.%d", val, j))
				}
			}
			batches.Add(1)
			_, err := update(ctx, e, bat(ms...), level)
			return err
		case p < 59:
			c := bat(mset(key(), val), store.Mutation{Op: store.OpClear})
			if _, err := update(ctx, e, c, level); err == nil {
				return fmt.Errorf("invalid batch accepted")
			}
			return nil
		case p < 88:
			q := store.Query{Op: store.QueryOp(1 + rng.IntN(3)), Key: key()}
			r, err := e.Query(ctx, q)
			if err == nil && q.Op == store.QueryKeys && r.N != len(r.Keys) {
				return fmt.Errorf("QueryKeys: N %d, %d keys", r.N, len(r.Keys))
			}
			return err
		default:
			return e.Sync(ctx)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0x5eed))
			for i := range opsPer {
				if err := step(rng, w, i); err != nil {
					errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
					return
				}
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()
	recv(t, allDone, "every worker to finish")
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	final := engineState(t, e)
	require.NoError(t, e.Close())
	s.check(t)
	require.Equal(t, 1, s.closeCount())

	entries := s.entries()
	requireContiguous(t, entries, 1)
	kv := store.NewKV(0)
	count := map[store.Op]int64{}
	for _, en := range entries {
		c, err := store.DecodeCommand(en.Data)
		require.NoError(t, err, "LSN %d", en.LSN)
		_, changed, err := kv.Apply(c)
		require.NoError(t, err, "LSN %d", en.LSN)
		require.True(t, changed, "LSN %d: every journaled command changes the state on replay", en.LSN)
		count[c.Op]++
	}
	require.Equal(t, final, kvState(kv))
	require.Equal(t, final, engineStateAfterReplay(t, entries))
	require.Equal(t, sets.Load(), count[store.OpSet], "every set is journaled")
	require.Equal(t, foundDeletes.Load(), count[store.OpDelete], "exactly the deletes that found their key are journaled")
	require.Equal(t, batches.Load(), count[store.OpBatch], "every non-empty valid batch is journaled")
}
