package hurrah

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWatchPrefixFromTheRing is TestWatchPrefix for changes the watcher
// finds in the ring, where runShared reports the shared ones: sets and
// deletes of other prefixes are left out, those of the prefix are all
// reported in order, between batches and clears that are not shared.
func TestWatchPrefixFromTheRing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := openT(t, newDir(t), nil)
	from := db.Stats().AppliedLSN + 1
	type result struct {
		got []string
		err error
	}
	done := make(chan result, 1)
	go func() {
		var got []string
		_, err := collectUntil(db.Watch(ctx, from, &WatchOptions{Prefix: "u/"}), func(c Change) bool {
			got = append(got, fmt.Sprintf("%d %v %s %s", c.LSN, c.Kind, c.Key, c.Value))
			return c.Key == "u/end"
		})
		done <- result{got, err}
	}()
	require.Eventually(t, func() bool { return db.eng.Watchers() == 1 }, 10*time.Second, time.Millisecond)
	var want []string
	lsn := from
	for i := range 300 {
		switch i % 7 {
		case 5: // a batch: not shared
			b := &Batch{}
			b.SetBytes(fmt.Sprint("o/", i), []byte("x"))
			b.SetBytes(fmt.Sprint("u/", i), []byte("y"))
			require.NoError(t, db.Write(ctx, b))
			want = append(want, fmt.Sprintf("%d set u/%d y", lsn, i))
		case 6:
			_, err := db.Delete(ctx, fmt.Sprint("u/", i-1))
			require.NoError(t, err)
			want = append(want, fmt.Sprintf("%d delete u/%d ", lsn, i-1))
		default:
			k := "o/"
			if i%2 == 0 {
				k = "u/"
			}
			require.NoError(t, db.SetBytes(ctx, fmt.Sprint(k, i), []byte(fmt.Sprint(i))))
			if k == "u/" {
				want = append(want, fmt.Sprintf("%d set u/%d %d", lsn, i, i))
			}
		}
		lsn++
	}
	require.NoError(t, db.SetBytes(ctx, "u/end", nil))
	want = append(want, fmt.Sprintf("%d set u/end ", lsn))
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, want, r.got)
	require.Zero(t, db.Stats().WatchFallbacks, "read from the ring")
}

// TestWatchSessionsUnderWrites: under a steady stream of writes, watchers
// attach and detach one after the other, the store's last watcher each
// time (its ring's timer stopped as it detaches), and others run beside
// them; each session gets every change from where it starts, in order,
// and none waits forever for a change the store has applied.
func TestWatchSessionsUnderWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := openT(t, newDir(t), nil)
	stop := make(chan struct{})
	var writing sync.WaitGroup
	writing.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.SetBytes(ctx, fmt.Sprint("k", i%50), []byte{byte(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	// session watches n changes from the next write on; it runs in any
	// goroutine, so it reports with t.Error.
	session := func(n int) bool {
		from := db.Stats().AppliedLSN + 1
		next := from
		for c, err := range db.Watch(ctx, from, nil) {
			if err != nil {
				t.Errorf("session from %d, at %d: %v", from, next, err)
				return false
			}
			if c.LSN != next {
				t.Errorf("session from %d: got %d, want %d", from, c.LSN, next)
				return false
			}
			if next++; next == from+uint64(n) {
				break
			}
		}
		return true
	}
	for range 200 {
		if !session(1 + int(db.Stats().AppliedLSN%20)) {
			break
		}
	}
	var beside sync.WaitGroup
	for range 3 {
		beside.Go(func() {
			for range 50 {
				if !session(1 + int(db.Stats().AppliedLSN%300)) {
					return
				}
			}
		})
	}
	beside.Wait()
	close(stop)
	writing.Wait()
}

// TestWatchEndsAtOnceInARun: a consumer that cancels its ctx, or closes
// the store, while the ring holds more changes for it gets no more
// changes, only the error: runShared's run of changes from the ring
// checks them at each change, as entry does.
func TestWatchEndsAtOnceInARun(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			db := openT(t, newDir(t), nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			from := db.Stats().AppliedLSN + 1
			more := make(chan struct{})
			type result struct {
				got []uint64
				err error
			}
			done := make(chan result, 1)
			go func() {
				var r result
				for c, err := range db.Watch(ctx, from, nil) {
					if err != nil {
						r.err = err
						break
					}
					r.got = append(r.got, c.LSN)
					if len(r.got) == 1 {
						<-more // the ring holds 10 more by then
						if how == "cancel" {
							cancel()
						} else if err := db.Close(); err != nil {
							t.Error(err)
						}
					}
				}
				done <- r
			}()
			require.Eventually(t, func() bool { return db.eng.Watchers() == 1 }, 10*time.Second, time.Millisecond)
			for i := range 11 {
				require.NoError(t, db.SetBytes(context.Background(), fmt.Sprint("k", i), []byte("v")))
			}
			close(more)
			r := <-done
			require.Equal(t, []uint64{from}, r.got, "changes after the end")
			if how == "cancel" {
				require.ErrorIs(t, r.err, context.Canceled)
			} else {
				require.ErrorIs(t, r.err, ErrClosed)
			}
		})
	}
}
