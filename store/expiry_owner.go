package store

import (
	"sync/atomic"
	"time"
)

// The owner's side of expiry: at the end of each turn it asks the machine
// to remove what has expired (a bounded step, journaled as one entry that
// no caller waits for), and keeps a timer armed for the next deadline, so
// that it wakes then even if no request comes.

// expiryState is the engine's expiry bookkeeping; the owner's, but for
// pending, which the timer clears.
type expiryState struct {
	checked bool    // x has been looked up
	x       expirer // the machine, if it expires state (else nil)
	timed   bool    // the timer measures x's clock (expirer.timersMeasure)
	timer   *time.Timer
	armed   int64       // the deadline the timer was last armed for
	pending atomic.Bool // the timer is armed and has not fired
}

// expire removes a step of expired state, journals it, and makes sure the
// owner wakes for the next step: at once if more is due, else at the next
// deadline. While the sink has failed it does nothing: expired keys stay
// hidden, and nothing that cannot be journaled is applied.
func (o *owner[C, Q, R]) expire() {
	e := o.e
	s := &e.exp
	if s.x == nil || o.failed == nil && s.asleep() {
		return
	}
	if o.failed != nil || !s.x.due() {
		if next := s.x.nextDeadline(); next != 0 && o.failed == nil {
			o.armExpiry(next) // against the turn's clock reading
		}
		return
	}
	s.x.untick() // expireDue reads the clock afresh
	t0 := time.Now()
	data, next, more := s.x.expireDue()
	s.x.tick() // the rest of the turn reads it once more, at most
	if data != nil {
		e.notePause(time.Since(t0))
		if e.sink != nil {
			o.stamp(data)
		}
	}
	switch {
	case more:
		o.nudge()
	case next != 0:
		o.armExpiry(next)
	}
}

// asleep reports whether the timer is armed, on a clock it measures, for
// the earliest deadline or before: then nothing is due until it fires and
// its nudge gives the owner a turn, and this turn need not read the clock
// to know it (30 to 60 ns, which a set with a TTL would otherwise pay at
// the end of its turn). A timer late to fire delays removals only: a read
// hides an expired key by reading the clock itself (KV.expired).
func (s *expiryState) asleep() bool {
	return s.timed && s.pending.Load() && s.armed <= s.x.nextDeadline()
}

// tick starts the owner's turn for expiry: the machine reads the clock
// once for all the turn's requests.
func (o *owner[C, Q, R]) tick() {
	s := &o.e.exp
	if !s.checked {
		s.checked = true
		s.x, _ = any(o.e.m).(expirer)
		s.timed = s.x != nil && s.x.timersMeasure()
	}
	if s.x != nil {
		s.x.tick()
	}
}

// untick ends the owner's turn for expiry, once the turn has published
// its statistics (KV.Size reads the turn's clock reading too): from then
// on the machine reads the clock at each need.
func (o *owner[C, Q, R]) untick() {
	if x := o.e.exp.x; x != nil {
		x.untick()
	}
}

// nudge wakes the owner for another turn, unless a nudge is on its way.
func (o *owner[C, Q, R]) nudge() {
	e := o.e
	if e.snap.nudged {
		return
	}
	r := e.pool.Get()
	r.kind = kindNudge
	// If the mailbox is full, the requests in it wake the owner.
	e.snap.nudged = e.act.TrySend(r)
}

// armExpiry arms the timer to wake the owner at the deadline next, unless
// it is armed for then or earlier already.
func (o *owner[C, Q, R]) armExpiry(next int64) {
	e := o.e
	s := &e.exp
	if s.pending.Load() && s.armed <= next {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.armed = next
	s.pending.Store(true)
	d := time.Duration(next - s.x.now())
	s.timer = time.AfterFunc(max(d, 0), func() {
		s.pending.Store(false)
		r := e.pool.Get()
		r.kind = kindNudge
		if !e.act.TrySend(r) {
			r.reset()
			e.pool.Put(r)
		}
	})
}

// stopExpiry stops the timer: the owner has stopped.
func (o *owner[C, Q, R]) stopExpiry() {
	if t := o.e.exp.timer; t != nil {
		t.Stop()
	}
}

// kickExpiry gives a new owner a first turn, if its machine expires
// state, so that what expired while the store was closed is removed (and
// the timer armed) even if no request comes.
func (e *Engine[C, Q, R]) kickExpiry() {
	if _, ok := any(e.m).(expirer); !ok {
		return
	}
	r := e.pool.Get()
	r.kind = kindNudge
	if !e.act.TrySend(r) {
		r.reset()
		e.pool.Put(r)
	}
}
