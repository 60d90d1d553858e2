package actor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
)

// TestAwaitReply checks Await returns a reply that is already there and one
// that arrives while it waits.
func TestAwaitReply(t *testing.T) {
	ctx := context.Background()
	done := make(chan struct{})

	reply := make(chan string, 1)
	reply <- "ready"
	got, err := actor.Await(ctx, reply, done)
	require.NoError(t, err)
	require.Equal(t, "ready", got)

	later := make(chan string, 1)
	res := async(func() error {
		got, err := actor.Await(ctx, later, done)
		if err == nil && got != "later" {
			err = errors.New("wrong reply: " + got)
		}
		return err
	})
	later <- "later"
	require.NoError(t, recv(t, res, "Await"))
}

// TestAwaitWithoutDone checks Await with a nil done channel: a plain wait
// for the reply, or for the context.
func TestAwaitWithoutDone(t *testing.T) {
	reply := make(chan int, 1)
	res := async(func() error {
		v, err := actor.Await(context.Background(), reply, nil)
		if err == nil && v != 7 {
			err = fmt.Errorf("got %d, want 7", v)
		}
		return err
	})
	reply <- 7
	require.NoError(t, recv(t, res, "Await"))

	ctx, cancel := context.WithCancel(context.Background())
	res = async(func() error { _, err := actor.Await(ctx, reply, nil); return err })
	cancel()
	require.ErrorIs(t, recv(t, res, "Await to return after cancel"), context.Canceled)
}

// TestAwaitContext checks Await gives up with the context's error when no
// reply comes and the actor is still running.
func TestAwaitContext(t *testing.T) {
	done := make(chan struct{})
	reply := make(chan int, 1)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := actor.Await(canceled, reply, done)
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, got)

	waiting, cancel := context.WithCancel(context.Background())
	res := async(func() error { _, err := actor.Await(waiting, reply, done); return err })
	cancel()
	require.ErrorIs(t, recv(t, res, "Await to return after cancel"), context.Canceled)

	deadline, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = actor.Await(deadline, reply, done)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestAwaitDoneWithoutReply checks Await returns ErrClosed when done is
// closed and no reply was sent, whether done closes before or during the wait.
func TestAwaitDoneWithoutReply(t *testing.T) {
	ctx := context.Background()
	reply := make(chan int, 1)

	closed := make(chan struct{})
	close(closed)
	got, err := actor.Await(ctx, reply, closed)
	require.ErrorIs(t, err, actor.ErrClosed)
	require.True(t, errors.Is(err, actor.ErrClosed))
	require.Zero(t, got)

	done := make(chan struct{})
	res := async(func() error { _, err := actor.Await(ctx, reply, done); return err })
	close(done)
	require.ErrorIs(t, recv(t, res, "Await to return after done"), actor.ErrClosed)
}

// TestAwaitDoneWithReply checks that a reply sent before done closed wins
// over ErrClosed. Await's select picks at random among ready cases, so this
// repeats enough to take the done branch many times.
func TestAwaitDoneWithReply(t *testing.T) {
	ctx := context.Background()
	done := make(chan struct{})
	close(done)
	for i := range 1000 {
		reply := make(chan int, 1)
		reply <- i
		got, err := actor.Await(ctx, reply, done)
		require.NoError(t, err, "iteration %d", i)
		require.Equal(t, i, got)
	}
}

// request is a message that wants an answer.
type request struct {
	n     int
	reply chan int
}

// doubler answers each request with twice its number.
type doubler struct{}

func (doubler) Handle(batch []request) {
	for _, r := range batch {
		r.reply <- 2 * r.n
	}
}

// TestAwaitThroughActor checks Await against a real actor: a request
// handled before Close gets its reply even when Await starts after the actor
// is done, and a request that was never handled gets ErrClosed.
func TestAwaitThroughActor(t *testing.T) {
	ctx := context.Background()
	a := actor.Start[request](doubler{}, actor.Options{})

	live := request{n: 1, reply: make(chan int, 1)}
	require.NoError(t, a.Send(ctx, live))
	got, err := actor.Await(ctx, live.reply, a.Done())
	require.NoError(t, err)
	require.Equal(t, 2, got)

	handledBeforeClose := request{n: 21, reply: make(chan int, 1)}
	require.NoError(t, a.Send(ctx, handledBeforeClose))
	require.NoError(t, a.Close())
	got, err = actor.Await(ctx, handledBeforeClose.reply, a.Done())
	require.NoError(t, err, "a reply sent before Done closed must win")
	require.Equal(t, 42, got)

	neverSent := request{n: 3, reply: make(chan int, 1)}
	require.ErrorIs(t, a.Send(ctx, neverSent), actor.ErrClosed)
	_, err = actor.Await(ctx, neverSent.reply, a.Done())
	require.ErrorIs(t, err, actor.ErrClosed)
}

// carrier is a pooled request carrier.
type carrier struct {
	reply chan int
}

// TestPool checks Get calls New on an empty pool and that Put values come
// back from Get. sync.Pool may drop any value (and under the race detector
// drops some on purpose), so recycling is checked over a bounded number of
// tries rather than once.
func TestPool(t *testing.T) {
	made := 0
	p := actor.Pool[*carrier]{New: func() *carrier {
		made++
		return &carrier{reply: make(chan int, 1)}
	}}

	c := p.Get()
	require.NotNil(t, c)
	require.NotNil(t, c.reply)
	require.Equal(t, 1, made, "Get on an empty pool calls New")

	recycled := false
	for range 100 {
		p.Put(c)
		got := p.Get()
		require.NotNil(t, got)
		if got == c {
			recycled = true
			break
		}
		require.NotNil(t, got.reply, "a value Get did not recycle comes from New")
	}
	require.True(t, recycled, "Put value never came back from Get")
	require.Less(t, made, 101)
}

// TestPoolValueType checks Pool with a non-pointer type, including its zero
// value, which must not be mistaken for an empty pool.
func TestPoolValueType(t *testing.T) {
	p := actor.Pool[int]{New: func() int { return -1 }}
	require.Equal(t, -1, p.Get())
	for range 100 {
		p.Put(0)
		if p.Get() == 0 {
			return
		}
	}
	t.Fatal("Put value never came back from Get")
}
