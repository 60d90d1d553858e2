package actor

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMailbox  = 1024
	DefaultMaxDrain = 256
)

// Options configure an actor. The zero value is valid.
type Options struct {
	// Mailbox is the capacity of the user mailbox. Default DefaultMailbox.
	Mailbox int
	// MaxDrain is the most messages passed to one Handle call.
	// Default DefaultMaxDrain.
	MaxDrain int
	// Tick is the period of Ticker.Tick calls; zero means none.
	Tick time.Duration
}

// Handler processes messages in the actor's goroutine.
type Handler[M any] interface {
	// Handle is called with one or more messages, oldest first. The slice
	// is reused after Handle returns; the messages themselves are not.
	Handle(msgs []M)
}

// Ticker is implemented by handlers that want a periodic call.
type Ticker interface {
	Tick()
}

// Stopper is implemented by handlers that release resources when the actor
// stops. Stop runs once, in the actor's goroutine, after the last message;
// its error is what Close returns.
type Stopper interface {
	Stop() error
}

// Actor is an owner goroutine with a typed mailbox. Its methods are safe for
// concurrent use.
type Actor[M any] struct {
	h        Handler[M]
	mailbox  chan M
	control  chan M
	quit     chan struct{} // closed by Close: accept nothing more
	done     chan struct{} // closed when the goroutine has exited
	maxDrain int
	tick     time.Duration

	closeOnce sync.Once
	err       error // Stop's result; written by the goroutine before done is closed
}

// Start launches an actor that feeds h.
func Start[M any](h Handler[M], opts Options) *Actor[M] {
	if opts.Mailbox <= 0 {
		opts.Mailbox = DefaultMailbox
	}
	if opts.MaxDrain <= 0 {
		opts.MaxDrain = DefaultMaxDrain
	}
	a := &Actor[M]{
		h:        h,
		mailbox:  make(chan M, opts.Mailbox),
		control:  make(chan M, 16),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		maxDrain: opts.MaxDrain,
		tick:     opts.Tick,
	}
	go a.run()
	return a
}

// Send puts m on the mailbox, waiting while it is full. It returns ErrClosed
// after Close, or the context's error if ctx ends first.
func (a *Actor[M]) Send(ctx context.Context, m M) error {
	return a.send(ctx, a.mailbox, m)
}

// SendControl puts m on the control lane, which the actor serves before any
// mailbox message.
func (a *Actor[M]) SendControl(ctx context.Context, m M) error {
	return a.send(ctx, a.control, m)
}

// TrySend puts m on the mailbox if it has room at once, and reports
// whether it did. It never waits, so the actor's own goroutine may use it to
// wake itself up later.
func (a *Actor[M]) TrySend(m M) bool {
	select {
	case <-a.quit:
		return false
	default:
	}
	select {
	case a.mailbox <- m:
		return true
	default:
		return false
	}
}

// Len returns how many messages wait in the mailbox now (not counting
// the control lane, nor those being handled). It never waits, and is safe
// from any goroutine; by the time it returns the number may have changed.
func (a *Actor[M]) Len() int { return len(a.mailbox) }

// Cap returns the mailbox's capacity: Options.Mailbox, or its default.
func (a *Actor[M]) Cap() int { return cap(a.mailbox) }

// Closed reports whether Close has begun. It never waits.
//
// A message that Send put on the mailbox is certain to be handled if Closed
// still reports false after Send returned: the final drain comes after.
// Once Closed reports true, a message sent just before may land after the
// final drain and never be handled; only Done then tells.
func (a *Actor[M]) Closed() bool {
	select {
	case <-a.quit:
		return true
	default:
		return false
	}
}

func (a *Actor[M]) send(ctx context.Context, ch chan M, m M) error {
	if a.Closed() {
		return ErrClosed
	}
	// A context that has already ended must win: the select below picks at
	// random among ready cases and could otherwise still send.
	if err := ctx.Err(); err != nil {
		return err
	}
	// With room in the mailbox, send touching only the mailbox: a select
	// would lock quit and ctx's channel too, and every sender shares quit.
	select {
	case ch <- m:
		return nil
	default:
	}
	select {
	case ch <- m:
		return nil
	case <-a.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done is closed once the actor's goroutine has handled its last message and
// exited.
func (a *Actor[M]) Done() <-chan struct{} { return a.done }

// Close stops the actor after draining its mailbox, waits for it and returns
// the Stopper's error. Later calls return the same error.
func (a *Actor[M]) Close() error {
	a.closeOnce.Do(func() { close(a.quit) })
	<-a.done
	return a.err
}

func (a *Actor[M]) run() {
	defer close(a.done)
	var tickC <-chan time.Time
	if _, ok := a.h.(Ticker); ok && a.tick > 0 {
		ticker := time.NewTicker(a.tick)
		defer ticker.Stop()
		tickC = ticker.C
	}
	msgs := make([]M, 0, a.maxDrain)
	for {
		// The control lane goes first whenever it has something, then a
		// tick that is due, then the mailbox. Each is tried alone first:
		// a select locks every channel it names, and senders contend
		// for the mailbox's lock.
		if a.tryControl(msgs) {
			continue
		}
		select {
		case <-tickC:
			a.h.(Ticker).Tick() // and on to the mailbox, which a fast ticker must not starve
		default:
		}
		if a.tryMailbox(msgs) {
			continue
		}
		// Let the callers just answered run and send again before
		// parking: the next drain is then bigger, and parking and
		// being woken is the dearest step of the loop.
		runtime.Gosched()
		if a.tryMailbox(msgs) {
			continue
		}
		select {
		case m := <-a.control:
			a.handle(append(msgs[:0], m))
		case m := <-a.mailbox:
			a.handle(a.drain(append(msgs[:0], m)))
		case <-tickC:
			a.h.(Ticker).Tick()
		case <-a.quit:
			a.finish(msgs)
			return
		}
	}
}

// tryControl handles a message from the control lane if one is there, and
// reports whether it did. It never waits.
func (a *Actor[M]) tryControl(msgs []M) bool {
	select {
	case m := <-a.control:
		a.handle(append(msgs[:0], m))
		return true
	default:
		return false
	}
}

// tryMailbox handles what the mailbox holds, up to maxDrain messages, if it
// holds anything, and reports whether it did. It never waits.
func (a *Actor[M]) tryMailbox(msgs []M) bool {
	select {
	case m := <-a.mailbox:
		a.handle(a.drain(append(msgs[:0], m)))
		return true
	default:
		return false
	}
}

// drain adds to msgs whatever the mailbox holds without waiting, up to
// maxDrain messages.
func (a *Actor[M]) drain(msgs []M) []M {
	for len(msgs) < a.maxDrain {
		select {
		case m := <-a.mailbox:
			msgs = append(msgs, m)
		default:
			return msgs
		}
	}
	return msgs
}

// finish handles everything still queued, then stops the handler.
func (a *Actor[M]) finish(msgs []M) {
	for a.tryControl(msgs) || a.tryMailbox(msgs) {
		// The control lane first, then the mailbox, until both are empty.
	}
	if s, ok := a.h.(Stopper); ok {
		a.err = s.Stop()
	}
}

func (a *Actor[M]) handle(msgs []M) {
	a.h.Handle(msgs)
	clear(msgs) // drop references so the messages can be collected
}
