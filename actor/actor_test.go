package actor_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
)

// TestHandleInOrder sends many messages through a small mailbox, so Send
// keeps hitting back-pressure, and checks they are handled exactly once,
// oldest first, in drains of at most MaxDrain.
func TestHandleInOrder(t *testing.T) {
	const n, maxDrain = 1000, 16
	r := newRecorder[int](false)
	a := actor.Start[int](r, actor.Options{Mailbox: 8, MaxDrain: maxDrain})
	ctx := context.Background()
	for i := range n {
		require.NoError(t, a.Send(ctx, i))
	}
	require.NoError(t, a.Close())

	require.Equal(t, seq(0, n), r.messages())
	for i, size := range r.sizes() {
		require.Positive(t, size, "drain %d", i)
		require.LessOrEqual(t, size, maxDrain, "drain %d", i)
	}
}

// TestDrain holds the actor busy, queues more messages than MaxDrain,
// releases it and checks the queue is handed over in full drains.
func TestDrain(t *testing.T) {
	const maxDrain = 8
	r := newRecorder[int](true)
	a := actor.Start[int](r, actor.Options{Mailbox: 64, MaxDrain: maxDrain})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	for i := 1; i <= 20; i++ {
		require.NoError(t, a.Send(ctx, i))
	}
	close(r.release)
	require.NoError(t, a.Close())

	require.Equal(t, seq(0, 21), r.messages())
	sizes := r.sizes()
	require.Equal(t, []int{1, 8, 8, 4}, sizes)
	var drained bool
	for _, s := range sizes {
		require.LessOrEqual(t, s, maxDrain)
		drained = drained || s > 1
	}
	require.True(t, drained, "no Handle call received more than one message: %v", sizes)
}

// TestDrainDefaults checks that zero Options mean DefaultMaxDrain.
func TestDrainDefaults(t *testing.T) {
	const queued = actor.DefaultMaxDrain + 44
	r := newRecorder[int](true)
	a := actor.Start[int](r, actor.Options{})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	for i := 1; i <= queued; i++ {
		require.NoError(t, a.Send(ctx, i))
	}
	close(r.release)
	require.NoError(t, a.Close())

	require.Equal(t, seq(0, queued+1), r.messages())
	require.Equal(t, []int{1, actor.DefaultMaxDrain, 44}, r.sizes())
}

// TestMaxBatchOne checks that MaxDrain 1 hands over one message at a time.
func TestMaxBatchOne(t *testing.T) {
	r := newRecorder[int](true)
	a := actor.Start[int](r, actor.Options{MaxDrain: 1})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	for i := 1; i < 10; i++ {
		require.NoError(t, a.Send(ctx, i))
	}
	close(r.release)
	require.NoError(t, a.Close())

	require.Equal(t, seq(0, 10), r.messages())
	require.Equal(t, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, r.sizes())
}

// TestControlLaneFirst queues mailbox messages behind a busy handler, then
// control messages, and checks every control message is served before any
// of the queued mailbox messages. It also checks that the control lane does
// not share the mailbox's capacity.
func TestControlLaneFirst(t *testing.T) {
	r := newRecorder[string](true)
	a := actor.Start[string](r, actor.Options{Mailbox: 3})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, "m0"))
	r.waitEntered(t)
	for _, m := range []string{"m1", "m2", "m3"} {
		require.NoError(t, a.Send(ctx, m))
	}
	// The mailbox is full: a further Send cannot get in.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, a.Send(canceled, "m4"), context.Canceled)
	// The control lane still accepts.
	require.NoError(t, a.SendControl(ctx, "c1"))
	require.NoError(t, a.SendControl(ctx, "c2"))
	close(r.release)
	require.NoError(t, a.Close())

	require.Equal(t, []string{"m0", "c1", "c2", "m1", "m2", "m3"}, r.messages())
	require.Equal(t, []int{1, 1, 1, 3}, r.sizes(), "control messages are handled alone")
}

// TestControlLaneFirstWhileClosing checks that the final drain after Close
// also serves the control lane before the mailbox.
func TestControlLaneFirstWhileClosing(t *testing.T) {
	r := newRecorder[string](true)
	a := actor.Start[string](r, actor.Options{Mailbox: 2})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, "m0"))
	r.waitEntered(t)
	require.NoError(t, a.Send(ctx, "m1"))
	require.NoError(t, a.Send(ctx, "m2"))
	require.NoError(t, a.SendControl(ctx, "c1"))

	closed := async(a.Close)
	// The mailbox is full and the handler blocked, so this Send can only
	// return once Close has begun.
	require.ErrorIs(t, a.Send(ctx, "late"), actor.ErrClosed)
	close(r.release)
	require.NoError(t, recv(t, closed, "Close"))

	require.Equal(t, []string{"m0", "c1", "m1", "m2"}, r.messages())
}

// TestSendBlocksWhenFull checks Send's back-pressure: with the handler busy
// and the mailbox full, Send waits, gives up with the context's error, and
// goes through once the actor makes room.
func TestSendBlocksWhenFull(t *testing.T) {
	r := newRecorder[int](true)
	a := actor.Start[int](r, actor.Options{Mailbox: 1})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	require.NoError(t, a.Send(ctx, 1)) // fills the mailbox

	// Already canceled.
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, a.Send(canceled, -1), context.Canceled)

	// Canceled while waiting.
	waiting, cancel := context.WithCancel(ctx)
	sent := async(func() error { return a.Send(waiting, -2) })
	cancel()
	err := recv(t, sent, "Send to return after cancel")
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, waiting.Err(), err)

	// Deadline passes while waiting.
	deadline, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	require.ErrorIs(t, a.Send(deadline, -3), context.DeadlineExceeded)

	// Waits until the actor drains the mailbox, then succeeds.
	sent = async(func() error { return a.Send(ctx, 2) })
	select {
	case err := <-sent:
		t.Fatalf("Send returned %v with the mailbox full", err)
	default:
	}
	close(r.release)
	require.NoError(t, recv(t, sent, "blocked Send to go through"))
	require.NoError(t, a.Close())

	require.Equal(t, []int{0, 1, 2}, r.messages(), "a Send that gave up must not be handled")
}

// TestSendAfterClose checks that Send and SendControl fail with ErrClosed
// once Close has returned, even with a context that is already done.
func TestSendAfterClose(t *testing.T) {
	r := newRecorder[int](false)
	a := actor.Start[int](r, actor.Options{})
	require.NoError(t, a.Close())

	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, c := range []context.Context{ctx, canceled} {
		err := a.Send(c, 1)
		require.ErrorIs(t, err, actor.ErrClosed)
		require.True(t, errors.Is(err, actor.ErrClosed))
		require.ErrorIs(t, a.SendControl(c, 2), actor.ErrClosed)
	}
	require.Empty(t, r.messages())
}

// TestCloseDrainsBeforeStop closes an actor whose mailbox holds messages and
// checks that they are all handled before Stop, that Close returns Stop's
// error, that Stop runs once, and that Close is idempotent.
func TestCloseDrainsBeforeStop(t *testing.T) {
	errStop := errors.New("stop failed")
	r := newRecorder[int](true)
	r.stopErr = errStop
	a := actor.Start[int](r, actor.Options{Mailbox: 10, MaxDrain: 4})
	ctx := context.Background()

	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	for i := 1; i <= 10; i++ {
		require.NoError(t, a.Send(ctx, i))
	}
	require.NoError(t, a.SendControl(ctx, 100))

	closed := async(a.Close)
	// Mailbox full, handler blocked: this only returns once Close began.
	require.ErrorIs(t, a.Send(ctx, 11), actor.ErrClosed)
	select {
	case <-a.Done():
		t.Fatal("Done closed while the handler is still running")
	case err := <-closed:
		t.Fatalf("Close returned %v while the handler is still running", err)
	default:
	}
	close(r.release)

	require.ErrorIs(t, recv(t, closed, "Close"), errStop)
	recv(t, a.Done(), "Done")
	require.Equal(t, append([]int{0, 100}, seq(1, 11)...), r.messages())
	require.Equal(t, 1, r.stops)
	require.Equal(t, 12, r.stoppedAfter, "Stop ran before the mailbox was drained")

	// Idempotent: the same error, no second Stop.
	require.ErrorIs(t, a.Close(), errStop)
	require.ErrorIs(t, a.Close(), errStop)
	require.Equal(t, 1, r.stops)
}

// TestCloseIdle closes an actor that never got a message.
func TestCloseIdle(t *testing.T) {
	r := newRecorder[int](false)
	a := actor.Start[int](r, actor.Options{})
	require.NoError(t, a.Close())
	require.Equal(t, 1, r.stops)
	require.Empty(t, r.batches)
}

// TestCloseWithoutStopper checks Close returns nil for a Handler that is not
// a Stopper.
func TestCloseWithoutStopper(t *testing.T) {
	var handled []int
	a := actor.Start[int](handleFunc[int](func(b []int) { handled = append(handled, b...) }), actor.Options{})
	require.NoError(t, a.Send(context.Background(), 7))
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())
	require.Equal(t, []int{7}, handled)
}

// TestCloseConcurrent calls Close from many goroutines at once: all of them
// return Stop's error, only after the actor is done, and Stop runs once. It
// repeats so that the callers really do race.
func TestCloseConcurrent(t *testing.T) {
	for range 50 {
		closeConcurrently(t)
	}
}

func closeConcurrently(t *testing.T) {
	const closers = 32
	errStop := errors.New("stop")
	r := newRecorder[int](true)
	r.stopErr = errStop
	a := actor.Start[int](r, actor.Options{})
	ctx := context.Background()
	require.NoError(t, a.Send(ctx, 0))
	r.waitEntered(t)
	require.NoError(t, a.Send(ctx, 1))

	start := make(chan struct{})
	errs := make(chan error, closers)
	var wg sync.WaitGroup
	for range closers {
		wg.Go(func() {
			<-start
			err := a.Close()
			select {
			case <-a.Done():
			default:
				err = errors.New("Close returned before Done was closed")
			}
			errs <- err
		})
	}
	close(start)
	close(r.release)
	wg.Wait()
	close(errs)

	for err := range errs {
		require.ErrorIs(t, err, errStop)
	}
	require.Equal(t, 1, r.stops)
	require.Equal(t, []int{0, 1}, r.messages())
}

// tickRecorder is a Handler, Ticker and Stopper. ticks and handled are
// plain fields written by both Tick and Handle: the race detector checks
// they run in the same goroutine.
type tickRecorder struct {
	ticks   int
	handled int
	third   chan struct{} // closed on the third tick
	stopped bool
	late    int // calls after Stop
}

func (h *tickRecorder) Handle(b []int) {
	h.handled += len(b)
	if h.stopped {
		h.late++
	}
}

func (h *tickRecorder) Tick() {
	h.ticks++
	if h.ticks == 3 {
		close(h.third)
	}
	if h.stopped {
		h.late++
	}
}

func (h *tickRecorder) Stop() error {
	h.stopped = true
	return nil
}

// TestTicker checks that a Ticker is called every Options.Tick, in the
// actor's goroutine, interleaved with Handle, and not after Stop.
func TestTicker(t *testing.T) {
	h := &tickRecorder{third: make(chan struct{})}
	a := actor.Start[int](h, actor.Options{Tick: time.Millisecond})
	ctx := context.Background()
	for i := range 100 {
		require.NoError(t, a.Send(ctx, i))
	}
	recv(t, h.third, "three ticks")
	require.NoError(t, a.Close())
	require.GreaterOrEqual(t, h.ticks, 3)
	require.Equal(t, 100, h.handled)
	require.Zero(t, h.late, "Handle or Tick called after Stop")
}

// TestTickerDisabled checks that a Ticker is not called with Tick zero.
// Waiting cannot prove a negative, so this only checks that handling
// messages and closing never calls Tick.
func TestTickerDisabled(t *testing.T) {
	h := &tickRecorder{third: make(chan struct{})}
	a := actor.Start[int](h, actor.Options{})
	ctx := context.Background()
	for i := range 100 {
		require.NoError(t, a.Send(ctx, i))
	}
	require.NoError(t, a.Close())
	require.Zero(t, h.ticks)
	require.Equal(t, 100, h.handled)
}

// TestTickWithoutTicker checks that Tick is ignored for a Handler that is
// not a Ticker.
func TestTickWithoutTicker(t *testing.T) {
	var n atomic.Int32
	a := actor.Start[int](handleFunc[int](func(b []int) { n.Add(int32(len(b))) }), actor.Options{Tick: time.Microsecond})
	require.NoError(t, a.Send(context.Background(), 1))
	require.NoError(t, a.Close())
	require.EqualValues(t, 1, n.Load())
}

// TestTickDueAlwaysDoesNotStarveMailbox checks that a ticker that is due
// at every turn of the loop still lets the mailbox be served.
func TestTickDueAlwaysDoesNotStarveMailbox(t *testing.T) {
	h := &tickRecorder{third: make(chan struct{})}
	a := actor.Start[int](h, actor.Options{Tick: time.Nanosecond, Mailbox: 1})
	ctx := context.Background()
	sent := async(func() error {
		for i := range 1000 {
			if err := a.Send(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, recv(t, sent, "1000 sends through a mailbox of one"))
	require.NoError(t, a.Close())
	require.Equal(t, 1000, h.handled)
}

// TestClosed checks that Closed reports whether Close has begun.
func TestClosed(t *testing.T) {
	a := actor.Start[int](handleFunc[int](func([]int) {}), actor.Options{})
	require.False(t, a.Closed())
	require.NoError(t, a.Send(context.Background(), 1))
	require.False(t, a.Closed())
	require.NoError(t, a.Close())
	require.True(t, a.Closed())
	require.ErrorIs(t, a.Send(context.Background(), 2), actor.ErrClosed)
}
