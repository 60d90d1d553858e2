package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// The watchers' wake-ups, coalesced. Under a steady stream of writes the
// owner ends a turn every few microseconds; waking the watchers at each
// (closing a channel, scheduling each watcher again) cost more than what
// they then read. The ring wakes them at once if it last did at least
// wakeEvery ago, and otherwise arms a timer for when it will be: a
// watcher may see a change up to wakeEvery after the owner applied it,
// and the watchers wake at most once per wakeEvery however fast the
// writes come. With nobody waiting, the owner's notify costs an atomic
// load. The timer is stopped when the last watcher detaches (a turn of
// the owner's under way then may arm it once more: it fires within
// wakeEvery) and when the engine closes, after the owner has stopped,
// waiting for a wake-up under way: none outlives Close.

// wakeEvery is the least time between two wake-ups of the watchers while
// writes keep coming.
const wakeEvery = 300 * time.Microsecond

// epoch is the origin of the ring's clock readings (monotonic).
var epoch = time.Now()

// wakes is a ring's coalescing of wake-ups. Its methods are safe from any
// goroutine.
type wakes struct {
	last    atomic.Int64 // when the watchers were last woken, as time.Since(epoch)
	armed   atomic.Bool  // a timer will wake them
	mu      sync.Mutex   // guards timer and the Add of pending
	timer   *time.Timer
	pending sync.WaitGroup // an armed timer, until it has fired or was stopped
	arms    atomic.Uint64  // how many times the timer was armed (tests)
}

// wake wakes the goroutines waiting on r.moved: at once if the last
// wake-up was wakeEvery ago or more, else by a timer when it will be.
func (r *Ring) wake() {
	if !r.moved.Waiting() {
		return // nobody to wake: each waiter checks the ring after Wait
	}
	now := int64(time.Since(epoch))
	if d := r.wakes.last.Load() + int64(wakeEvery) - now; d > 0 {
		r.wakeIn(time.Duration(d))
		return
	}
	r.wakes.last.Store(now)
	r.moved.Notify()
}

// wakeIn arms the timer to wake the waiters in d, unless it is armed
// already.
func (r *Ring) wakeIn(d time.Duration) {
	w := &r.wakes
	if !w.armed.CompareAndSwap(false, true) {
		return // a wake-up is due: it wakes for this entry too
	}
	w.arms.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending.Add(1)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, r.fire)
	} else {
		w.timer.Reset(d)
	}
}

// fire is the timer's wake-up. It disarms before it notifies: an entry
// published after its Notify arms the timer again.
func (r *Ring) fire() {
	defer r.wakes.pending.Done()
	r.wakes.armed.Store(false)
	r.wakes.last.Store(int64(time.Since(epoch)))
	r.moved.Notify()
}

// stopWakes stops the timer if it is armed, and waits for a wake-up under
// way to end. It waits holding mu, under which wakeIn adds to pending: a
// WaitGroup's Add from zero must not run concurrently with its Wait (the
// owner may still arm the timer as the last watcher detaches), and fire,
// which Wait waits for, does not take mu.
func (r *Ring) stopWakes() {
	w := &r.wakes
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil && w.timer.Stop() {
		w.pending.Done()
		w.armed.Store(false)
	}
	w.pending.Wait()
}
