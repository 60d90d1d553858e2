package actor

import (
	"context"
	"sync"
)

// Await waits for a value on reply. It returns early with the context's
// error if ctx ends, or with ErrClosed if done (an actor's Done channel) is
// closed and no reply was sent before that.
//
// done may be nil when the reply is certain to come (see Actor.Closed).
// Then, and with a ctx that never ends, Await is a plain receive: waiting
// on done costs every caller a turn at one lock they all share.
func Await[R any](ctx context.Context, reply <-chan R, done <-chan struct{}) (R, error) {
	cancel := ctx.Done()
	if cancel == nil && done == nil {
		return <-reply, nil
	}
	select {
	case r := <-reply:
		return r, nil
	case <-cancel:
		var zero R
		return zero, ctx.Err()
	case <-done:
		// An actor replies before its Done channel closes, so a reply
		// that was sent is already here.
		select {
		case r := <-reply:
			return r, nil
		default:
			var zero R
			return zero, ErrClosed
		}
	}
}

// Pool recycles values of type T, typically request carriers with a reply
// channel inside. Only put back a value no other goroutine still refers to.
type Pool[T any] struct {
	// New makes a fresh value when the pool is empty.
	New func() T
	p   sync.Pool
}

// Get returns a pooled value or a new one.
func (p *Pool[T]) Get() T {
	if v, ok := p.p.Get().(T); ok {
		return v
	}
	return p.New()
}

// Put returns v to the pool.
func (p *Pool[T]) Put(v T) { p.p.Put(v) }
