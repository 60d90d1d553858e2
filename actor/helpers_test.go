package actor_test

import (
	"sync"
	"testing"
	"time"
)

// bound is the longest any test waits for something that should happen
// promptly. It is a failure bound, never a delay: tests wait on channels and
// only hit it when something is broken.
const bound = 10 * time.Second

// handleFunc adapts a function to actor.Handler. It implements neither
// Ticker nor Stopper.
type handleFunc[M any] func(batch []M)

func (f handleFunc[M]) Handle(batch []M) { f(batch) }

// recorder is a Handler and Stopper that records every batch it is given,
// in the actor's goroutine. Tests read its fields only after Close or Done,
// which order those writes before the reads.
//
// If gated, the first Handle call closes entered and then waits for release
// to be closed, so a test can hold the actor busy while it queues messages.
type recorder[M any] struct {
	entered chan struct{}
	release chan struct{}
	first   sync.Once

	batches      [][]M
	stopErr      error // returned by Stop
	stops        int   // number of Stop calls
	stoppedAfter int   // messages handled when Stop ran
}

func newRecorder[M any](gated bool) *recorder[M] {
	r := &recorder[M]{}
	if gated {
		r.entered = make(chan struct{})
		r.release = make(chan struct{})
	}
	return r
}

func (r *recorder[M]) Handle(batch []M) {
	r.batches = append(r.batches, append([]M(nil), batch...))
	if r.release != nil {
		r.first.Do(func() {
			close(r.entered)
			<-r.release
		})
	}
}

func (r *recorder[M]) Stop() error {
	r.stops++
	r.stoppedAfter = len(r.messages())
	return r.stopErr
}

// messages returns every message handled so far, in order.
func (r *recorder[M]) messages() []M {
	var all []M
	for _, b := range r.batches {
		all = append(all, b...)
	}
	return all
}

// sizes returns the length of each batch handled so far.
func (r *recorder[M]) sizes() []int {
	s := make([]int, len(r.batches))
	for i, b := range r.batches {
		s[i] = len(b)
	}
	return s
}

// waitEntered waits until the gated recorder is inside its first Handle.
func (r *recorder[M]) waitEntered(t *testing.T) {
	t.Helper()
	recv(t, r.entered, "handler to be entered")
}

// recv waits for ch to deliver or be closed, failing the test after bound.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// async runs f in a goroutine and returns a channel that delivers its result.
func async[T any](f func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return ch
}

// seq returns the ints [from, to).
func seq(from, to int) []int {
	s := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}
