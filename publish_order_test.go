package hurrah

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLockFreeReadAfterAck checks real-time order: a Get (lock-free or
// not) that begins after a write was acknowledged never returns an older
// value, while Views, no-op writes, DeleteRange and GetBytesMany churn.
func TestLockFreeReadAfterAck(t *testing.T) {
	db, err := Open("", nil)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	const writers, readers, writes = 3, 3, 3000
	var acked [writers]atomic.Int64
	var wg, rg sync.WaitGroup
	var stop atomic.Bool
	errs := make(chan error, 16)
	for w := range writers {
		wg.Go(func() {
			k := fmt.Sprint("w", w)
			for i := 1; i <= writes; i++ {
				if err := db.SetBytes(ctx, k, []byte(strconv.Itoa(i))); err != nil {
					errs <- err
					return
				}
				acked[w].Store(int64(i))
				switch i % 7 {
				case 0:
					db.Delete(ctx, "missing")
				case 1:
					db.DeleteRange(ctx, "x", "y")
				case 2:
					db.SetBytes(ctx, fmt.Sprint("x", i), []byte("v"))
				case 3:
					if v, err := db.View(ctx); err == nil {
						v.Close()
					}
				}
			}
		})
	}
	for r := range readers {
		rg.Go(func() {
			keys := make([]string, writers)
			for w := range writers {
				keys[w] = fmt.Sprint("w", w)
			}
			for !stop.Load() {
				var floor [writers]int64
				for w := range writers {
					floor[w] = acked[w].Load()
				}
				var got [writers]int64
				if r%2 == 0 {
					vals, err := db.GetBytesMany(ctx, keys)
					if err != nil {
						errs <- err
						return
					}
					for w, v := range vals {
						n, _ := strconv.Atoi(string(v))
						got[w] = int64(n)
					}
				} else {
					for w, k := range keys {
						v, err := db.GetBytes(ctx, k)
						if err != nil && floor[w] > 0 {
							errs <- err
							return
						}
						n, _ := strconv.Atoi(string(v))
						got[w] = int64(n)
					}
				}
				for w := range writers {
					if got[w] < floor[w] {
						errs <- fmt.Errorf("%s: read %d after %d was acknowledged", keys[w], got[w], floor[w])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	rg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Positive(t, db.Stats().LockFreeGets)
}
