package wake

import (
	"sync"
	"sync/atomic"
)

// Signal wakes waiters when a value they watch advances. A waiter calls
// Wait, then checks the value, then blocks on the channel Wait returned;
// the goroutine that advances the value stores it, then calls Notify. With
// the store before Notify and Wait before the check, a waiter either sees
// the new value or is woken by that Notify: no advance is missed.
//
// The zero Signal is ready to use. Its methods are safe from any goroutine.
type Signal struct {
	mu sync.Mutex                    // serialises the creation of ch
	ch atomic.Pointer[chan struct{}] // closed by the next Notify; nil while nobody waits
}

// Wait returns a channel that the next Notify closes.
func (s *Signal) Wait() <-chan struct{} {
	if p := s.ch.Load(); p != nil {
		return *p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.ch.Load(); p != nil {
		return *p
	}
	c := make(chan struct{})
	s.ch.Store(&c)
	return c
}

// Notify wakes every goroutine waiting on a channel Wait returned. With no
// waiter it costs one atomic load.
func (s *Signal) Notify() {
	if s.ch.Load() == nil {
		return
	}
	if p := s.ch.Swap(nil); p != nil {
		close(*p)
	}
}

// Waiting reports whether a goroutine may be waiting: Wait was called
// since the last Notify.
func (s *Signal) Waiting() bool { return s.ch.Load() != nil }
