package store

import (
	"context"
	"time"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// owner is the actor handler: the only code that touches the machine after
// Start. Every field is the owner goroutine's.
type owner[C, Q, R any] struct {
	e *Engine[C, Q, R]

	// What one turn (one Handle call) builds, reset at its start.
	out    *handoff.Parcel // for the sink: allocated at the first write or sync, if there is a sink
	failed error           // the sink's sticky failure as the turn began
}

// Handle serves the requests drained from the mailbox, in order, and hands
// what they changed to the sink in one Parcel. Then it folds a step of the
// machine's deferred work and starts a snapshot if one is due.
func (o *owner[C, Q, R]) Handle(reqs []*request[C, Q, R]) {
	o.out, o.failed = nil, nil
	o.tick()
	if o.e.sink != nil {
		o.failed = o.e.sink.Err()
	}
	for _, r := range reqs {
		if !r.fixed && !r.state.CompareAndSwap(pending, taken) {
			continue // its caller gave up before we got to it
		}
		o.serve(r)
	}
	o.expire()
	o.e.feed.notify()
	o.unhold()
	o.e.snap.folding = o.fold()
	o.scheduleSnapshot()
	o.publish()
	o.e.live.publish(o.e.lsn)
	o.untick()
	if o.out != nil {
		o.send(o.out)
		o.out = nil
	}
}

// serve acts on one request the owner has taken.
func (o *owner[C, Q, R]) serve(r *request[C, Q, R]) {
	e := o.e
	o.count(r)
	switch r.kind {
	case kindQuery:
		o.wantPublish()
		r.result = e.m.Query(r.query)
		r.reply <- nil
	case kindRead:
		o.wantPublish()
		r.read()
		r.reply <- nil
	case kindSync:
		o.afterSync(r)
	case kindUpdate:
		o.retire()
		o.update(r)
	case kindExec:
		o.retire()
		o.exec(r)
	case kindSnapshot:
		o.snapshot(r)
	case kindSnapDone:
		o.finishSnapshot(r.snap)
	case kindIndexDone:
		r.read() // nobody waits for an answer
	case kindNudge:
		e.snap.nudged = false
		r.reset()
		e.pool.Put(r)
	}
}

// update applies a command and journals it if it changed the state.
func (o *owner[C, Q, R]) update(r *request[C, Q, R]) {
	if o.failed != nil {
		r.reply <- o.failed
		return
	}
	res, changed, err := o.e.m.Apply(r.cmd)
	r.result = res
	o.settle(r, changed, r.data, err)
}

// exec runs a caller's function on the machine and journals what it
// returns, if anything.
func (o *owner[C, Q, R]) exec(r *request[C, Q, R]) {
	if o.failed != nil {
		r.reply <- o.failed
		return
	}
	data, err := r.exec()
	o.settle(r, data != nil, data, err)
}

// settle answers a mutation the machine has applied: with its error, or,
// if it changed the state, once data is journaled at r's level (log).
//
// A mutation that changed nothing (a delete of a missing key, a
// compare-and-swap that did not swap, a transaction that only read) still
// answers from the state it read, which may hold changes not yet durable:
// told "present" because of a write that a crash then loses, a caller at
// AckSynced would act on what never was. So at AckSynced it waits, with no
// entry of its own, until everything applied so far is durable: it joins
// the sink's next group commit (the journal answers at once if all it has
// written is synced already) and never asks for an fsync of its own. At
// the other levels it answers at once, as an applied write does.
func (o *owner[C, Q, R]) settle(r *request[C, Q, R], changed bool, data []byte, err error) {
	switch {
	case err != nil || o.e.sink == nil:
		r.reply <- err
	case changed:
		o.log(r, data)
	case r.level == AckSynced:
		o.afterSync(r)
	default:
		r.reply <- nil
	}
}

// afterSync makes r wait until everything applied so far is durable: it
// joins the sink's next group commit, with no entry of its own.
func (o *owner[C, Q, R]) afterSync(r *request[C, Q, R]) {
	if o.e.sink == nil {
		r.reply <- nil
		return
	}
	p := o.parcel()
	p.AfterSync = append(p.AfterSync, r)
}

// log stamps data with the next LSN, adds it to the turn's Parcel and
// settles r or makes it wait on the Parcel, as its level says.
func (o *owner[C, Q, R]) log(r *request[C, Q, R], data []byte) {
	p := o.stamp(data)
	switch r.level {
	case AckWritten:
		p.AfterWrite = append(p.AfterWrite, r)
	case AckSynced:
		p.AfterSync = append(p.AfterSync, r)
	default:
		r.reply <- nil
	}
}

// stamp gives data the next LSN, adds it to the turn's Parcel, which it
// returns, and publishes it to the change feed's watchers. Every journaled
// entry goes through here, the owner's own (expiry) as the callers'.
func (o *owner[C, Q, R]) stamp(data []byte) *handoff.Parcel {
	e := o.e
	e.lsn++
	p := o.parcel()
	p.Entries = append(p.Entries, handoff.Entry{LSN: e.lsn, Data: data})
	e.feed.publish(e.lsn, data)
	return p
}

// parcel returns the turn's Parcel for the sink, allocating it at the first
// use.
func (o *owner[C, Q, R]) parcel() *handoff.Parcel {
	if o.out == nil {
		o.out = &handoff.Parcel{}
	}
	return o.out
}

// seal hands the turn's Parcel to the sink at once if it asks the journal
// to rotate (a snapshot asked, in it, to start a new segment after the last
// entry the snapshot covers): what the owner applies after it goes in the
// next Parcel, which the journal writes after rotating.
func (o *owner[C, Q, R]) seal() {
	if o.out != nil && o.out.Rotate {
		o.send(o.out)
		o.out = nil
	}
}

// send hands p to the sink, or settles its waiters with the error if the
// sink does not take it.
func (o *owner[C, Q, R]) send(p *handoff.Parcel) {
	if p.Empty() {
		return
	}
	// The journal closes only after the owner has stopped, so this send
	// waits for room but cannot find the journal gone.
	if err := o.e.sink.Append(context.Background(), p); err != nil {
		for _, w := range p.AfterWrite {
			w.Done(err)
		}
		for _, w := range p.AfterSync {
			w.Done(err)
		}
	}
}

// fold does a step of the machine's deferred work, if it has any, and makes
// sure the owner wakes up again for the next step. It reports whether any
// work remains.
func (o *owner[C, Q, R]) fold() bool {
	e := o.e
	f := e.folder
	if f == nil || !f.canFold() {
		return false // no clock read on the request path when there is nothing to fold
	}
	t0 := time.Now()
	more := f.fold()
	if d := time.Since(t0); d > time.Microsecond {
		e.notePause(d)
	}
	if more && !e.snap.nudged {
		r := e.pool.Get()
		r.kind = kindNudge
		// If the mailbox is full, the requests in it wake the owner.
		e.snap.nudged = e.act.TrySend(r)
	}
	return more
}

// Stop answers the callers still waiting for a snapshot that will not be
// taken now.
func (o *owner[C, Q, R]) Stop() error {
	o.stopExpiry()
	o.unpublish()
	for _, r := range o.e.snap.next {
		r.reply <- ErrClosed
	}
	o.e.snap.next = nil
	return nil
}
