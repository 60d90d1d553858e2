package actor_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
)

// stressReq is a pooled request carrier for TestStressSendAwaitClose.
type stressReq struct {
	id    int
	reply chan int
}

// TestStressSendAwaitClose runs many callers doing request/reply through
// Send and Await and closes the actor halfway through. Every call must end
// with its reply or ErrClosed, none may hang, and the set of requests the
// handler saw must be exactly the set of requests that got a reply.
func TestStressSendAwaitClose(t *testing.T) {
	t.Run("await done", func(t *testing.T) { stressSendAwaitClose(t, false) })
	t.Run("await done only once closed", func(t *testing.T) { stressSendAwaitClose(t, true) })
}

// stressSendAwaitClose is TestStressSendAwaitClose. With closedCheck, a
// caller waits on the actor's Done only if Closed reports true after its
// Send, as the store's callers do; a message that is never handled would
// then hang its caller, and the test.
func stressSendAwaitClose(t *testing.T, closedCheck bool) {
	const (
		callers = 64
		calls   = 1000
		total   = callers * calls
	)
	if testing.Short() {
		t.Skip("stress test")
	}

	seen := make(map[int]bool) // written by the actor, read after Close
	var seenTwice []int
	h := handleFunc[*stressReq](func(batch []*stressReq) {
		for _, r := range batch {
			if seen[r.id] {
				seenTwice = append(seenTwice, r.id)
			}
			seen[r.id] = true
			r.reply <- 2 * r.id
		}
	})
	a := actor.Start[*stressReq](h, actor.Options{Mailbox: 128, MaxDrain: 32})
	pool := actor.Pool[*stressReq]{New: func() *stressReq {
		return &stressReq{reply: make(chan int, 1)}
	}}

	type result struct {
		replied []int // ids that got their reply
		closed  int   // calls that ended in ErrClosed
		err     error // first unexpected outcome
	}
	results := make([]result, callers)
	var completed atomic.Int64
	half := make(chan struct{})
	ctx := context.Background()

	var wg sync.WaitGroup
	for g := range callers {
		wg.Go(func() {
			res := &results[g]
			for i := range calls {
				id := g*calls + i
				r := pool.Get()
				r.id = id
				if err := a.Send(ctx, r); err != nil {
					if !errors.Is(err, actor.ErrClosed) {
						res.err = fmt.Errorf("Send %d: %w", id, err)
					}
					res.closed++
					return
				}
				done := a.Done()
				if closedCheck && !a.Closed() {
					done = nil // the reply is certain to come
				}
				v, err := actor.Await(ctx, r.reply, done)
				switch {
				case err == nil && v == 2*id:
					res.replied = append(res.replied, id)
					pool.Put(r) // only a carrier the actor is done with
				case err == nil:
					res.err = fmt.Errorf("request %d: reply %d", id, v)
					return
				case errors.Is(err, actor.ErrClosed):
					// Sent after the final drain: never handled. The
					// carrier is not recycled.
					res.closed++
					if err := a.Send(ctx, pool.Get()); !errors.Is(err, actor.ErrClosed) {
						res.err = fmt.Errorf("Send after Done closed: %v", err)
					}
					return
				default:
					res.err = fmt.Errorf("Await %d: %w", id, err)
					return
				}
				if completed.Add(1) == total/2 {
					close(half)
				}
			}
		})
	}

	recv(t, half, "half the calls")
	require.NoError(t, a.Close())
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	recv(t, finished, "all callers to finish after Close")

	replied := make(map[int]bool)
	closed := 0
	for g, res := range results {
		require.NoError(t, res.err, "caller %d", g)
		for _, id := range res.replied {
			replied[id] = true
		}
		closed += res.closed
	}
	require.Empty(t, seenTwice, "requests handled twice")
	require.GreaterOrEqual(t, len(replied), total/2)
	require.Less(t, len(replied), total, "Close halfway through cut no call short")
	require.Positive(t, closed)
	require.Equal(t, len(replied), len(seen))
	for id := range seen {
		require.True(t, replied[id], "request %d was handled but its caller got no reply", id)
	}
}
