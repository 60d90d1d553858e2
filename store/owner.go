package store

import (
	"context"
	"time"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// owner is the actor handler: the only code that touches the machine after
// Start.
type owner[C, Q, R any] struct {
	e *Engine[C, Q, R]
}

// log stamps data with the next LSN, adds it to b and settles r or makes it
// wait on b, as its level says.
func (o *owner[C, Q, R]) log(b *handoff.Parcel, r *request[C, Q, R], data []byte) {
	e := o.e
	e.lsn++
	b.Entries = append(b.Entries, handoff.Entry{LSN: e.lsn, Data: data})
	switch r.level {
	case AckWritten:
		b.AfterWrite = append(b.AfterWrite, r)
	case AckSynced:
		b.AfterSync = append(b.AfterSync, r)
	default:
		r.reply <- nil
	}
}

// fold does a step of the machine's deferred work, if it has any, and makes
// sure the owner wakes up again for the next step. It reports whether any
// work remains.
func (o *owner[C, Q, R]) fold() bool {
	e := o.e
	f := e.folder
	if f == nil || !f.CanFold() {
		return false // no clock read on the request path when there is nothing to fold
	}
	t0 := time.Now()
	more := f.Fold()
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
	for _, r := range o.e.snap.next {
		r.reply <- ErrClosed
	}
	o.e.snap.next = nil
	return nil
}

// Handle applies a drained batch of requests and hands what changed to the
// sink in one batch.
func (o *owner[C, Q, R]) Handle(reqs []*request[C, Q, R]) {
	e := o.e
	var out *handoff.Parcel // allocated at the first write or sync, if there is a sink
	var failed error
	if e.sink != nil {
		failed = e.sink.Err()
	}
	journal := func() *handoff.Parcel {
		if out == nil {
			out = &handoff.Parcel{}
		}
		return out
	}
	// seal hands out to the sink at once, once a snapshot has asked the
	// journal, in it, to start a new segment after the last entry the
	// snapshot covers: what the owner applies after it goes in the next
	// batch, which the journal writes after rotating.
	seal := func() {
		if out != nil && out.Rotate {
			o.send(out)
			out = nil
		}
	}
	for _, r := range reqs {
		if !r.fixed && !r.state.CompareAndSwap(pending, taken) {
			continue // its caller gave up before we got to it
		}
		switch r.kind {
		case kindQuery:
			r.result = e.m.Query(r.query)
			r.reply <- nil
		case kindSync:
			if e.sink == nil {
				r.reply <- nil
			} else {
				b := journal()
				b.AfterSync = append(b.AfterSync, r)
			}
		case kindRead:
			r.read()
			r.reply <- nil
		case kindExec:
			if failed != nil {
				r.reply <- failed
				continue
			}
			data, err := r.exec()
			if err != nil || data == nil || e.sink == nil {
				r.reply <- err
				continue
			}
			o.log(journal(), r, data)
		case kindSnapshot:
			switch {
			case e.snap.snaps == nil:
				r.reply <- nil
			case e.snap.running || e.snap.folding:
				// The next snapshot starts once the last one is saved
				// and its overlay folded back, so that snapshots in a
				// row do not stack layers that reads look through.
				e.snap.next = append(e.snap.next, r)
			default:
				e.startSnapshot([]*request[C, Q, R]{r}, journal, seal)
			}
		case kindSnapDone:
			e.finishSnapshot(r.snap)
		case kindNudge:
			e.snap.nudged = false
			r.reset()
			e.pool.Put(r)
		case kindUpdate:
			if failed != nil {
				r.reply <- failed
				continue
			}
			res, changed, err := e.m.Apply(r.cmd)
			r.result = res
			if err != nil || !changed || e.sink == nil {
				r.reply <- err
				continue
			}
			o.log(journal(), r, r.data)
		}
	}
	e.snap.folding = o.fold()
	switch {
	case e.snap.running || e.snap.folding:
	case len(e.snap.next) > 0:
		next := e.snap.next
		e.snap.next = nil
		e.startSnapshot(next, journal, seal)
	case failed == nil && e.wantSnapshot():
		e.startSnapshot(nil, journal, seal)
	}
	if out != nil {
		o.send(out)
	}
}

// send hands out to the sink, or settles its waiters with the error if the
// sink does not take it.
func (o *owner[C, Q, R]) send(out *handoff.Parcel) {
	if out.Empty() {
		return
	}
	// The journal closes only after the owner has stopped, so this send
	// waits for room but cannot find the journal gone.
	if err := o.e.sink.Append(context.Background(), out); err != nil {
		for _, w := range out.AfterWrite {
			w.Done(err)
		}
		for _, w := range out.AfterSync {
			w.Done(err)
		}
	}
}
