package journal

import (
	"sync/atomic"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The journal's fsyncs run on a goroutine of their own, the syncer, so that
// the actor goroutine (the writer) goes on writing frames and settling
// AfterWrite waiters while one is in progress. The writer owns all the state:
// it asks the syncer to fsync the current segment up to its size at that
// moment, at most one request at a time, and collects each result exactly
// once. Sync waiters wait in a queue, each with the offset its data reached;
// a result settles those it covers, and whatever waited beyond it is served
// by one next fsync (group commit).
//
// The syncer hands each result over on a channel of its own and then posts
// a wake-up (a message with no parcel) on the actor's control lane, which the
// actor serves before any parcel, so that the writer collects the result
// promptly. The result does not travel in the wake-up itself because the
// actor refuses messages once Close has begun, while the writer, draining
// the mailbox and then stopping, still needs every result: it polls the
// channel whenever it runs, and waits on it when it must (at a rotation and
// at Stop).

// message is what the journal's actor handles: a parcel from Append, or, with
// b nil, a wake-up from the syncer saying that an fsync has completed.
type message struct {
	b *handoff.Parcel // the parcel to write, the actor goroutine's once sent; nil for a wake-up
}

// syncReq asks the syncer to fsync f, which held off bytes when it was asked.
type syncReq struct {
	f   vfs.File // set by the actor goroutine, used by the syncer goroutine: the current segment, kept open until the result is collected
	off int64    // set by the actor goroutine: the segment's size when the fsync was asked for
	lsn uint64   // set by the actor goroutine: the last LSN written then
}

// syncResult is the outcome of one syncReq.
type syncResult struct {
	off int64  // set by the syncer goroutine, read by the actor goroutine: the request's offset, durable now unless err is set
	lsn uint64 // set by the syncer goroutine, read by the actor goroutine: the request's LSN, durable now unless err is set
	err error  // set by the syncer goroutine, read by the actor goroutine: the fsync's failure, or nil
}

// syncWaiter is an AfterSync waiter queued until an fsync reaches off.
type syncWaiter struct {
	wt  handoff.Waiter // actor goroutine: the waiter to settle
	off int64          // actor goroutine: size of the current segment once the waiter's data was written
}

// syncer runs fsyncs one at a time on its own goroutine. The writer sends a
// request only when no result is outstanding, so each channel holds at most
// one value and no send ever blocks.
type syncer struct {
	// reqs carries requests from the writer (the actor goroutine, its only
	// sender, which closes it at Stop) to the syncer goroutine. Capacity 1.
	reqs chan syncReq
	// results carries each request's result from the syncer goroutine (its
	// only sender) to the writer (its only receiver). Capacity 1.
	results chan syncResult
	// wake posts a wake-up on the actor's control lane. Set by Open before
	// the syncer goroutine starts; called only by the syncer goroutine.
	wake func() error
	// woken is set by the syncer goroutine when it posts a wake-up and
	// cleared by the actor goroutine when it handles one, so that at most
	// one wake-up is queued at a time and the control lane never fills.
	woken atomic.Bool
	// done is closed by the syncer goroutine when it exits.
	done chan struct{}

	st *syncStats // times every fsync of a segment (fsync_stats.go)
}

// newSyncer returns a syncer whose goroutine start launches.
func newSyncer() *syncer {
	return &syncer{
		reqs:    make(chan syncReq, 1),
		results: make(chan syncResult, 1),
		done:    make(chan struct{}),
		st:      &syncStats{},
	}
}

// start launches the syncer goroutine, which posts wake-ups with wake.
func (s *syncer) start(wake func() error) {
	s.wake = wake
	go s.run()
}

// run is the syncer goroutine: it fsyncs what it is asked to until reqs is
// closed.
func (s *syncer) run() {
	defer close(s.done)
	for req := range s.reqs {
		s.results <- syncResult{off: req.off, lsn: req.lsn, err: s.st.sync(req.f)}
		// The result is in the channel before the wake-up is posted: a
		// writer that clears woken and then polls either finds it, or
		// leaves woken clear for this CompareAndSwap to post a new wake-up.
		if s.woken.CompareAndSwap(false, true) {
			if s.wake() != nil {
				// The actor is closing: the writer collects the result
				// at Stop without being woken.
				s.woken.Store(false)
			}
		}
	}
}

// stop ends the syncer goroutine and waits for it. The writer calls it once,
// from the actor goroutine, with no request outstanding.
func (s *syncer) stop() {
	close(s.reqs)
	<-s.done
}

// The writer's side of the syncer. All of it runs on the actor goroutine.

// startSync asks the syncer to fsync the current segment up to its present
// size. The caller has checked that nothing is in flight.
func (w *writer) startSync() {
	w.inflight = true
	w.sy.reqs <- syncReq{f: w.f, off: w.size, lsn: w.next - 1}
}

// reap collects the result of the fsync in flight, if there is one: at once
// if it is ready, or, if wait is set, once it is. A completed fsync advances
// synced and settles the sync waiters it covers; a failed one makes the
// journal read-only.
func (w *writer) reap(wait bool) {
	if !w.inflight {
		return
	}
	var r syncResult
	if wait {
		r = <-w.sy.results
	} else {
		select {
		case r = <-w.sy.results:
		default:
			return
		}
	}
	w.inflight = false
	if r.err == nil {
		w.synced = r.off
		w.prog.setSynced(r.lsn)
	}
	switch {
	case w.err != nil:
		// Failed meanwhile: the waiters have their error already.
	case r.err != nil:
		w.fail("sync "+w.f.Name(), r.err)
	default:
		w.settleSynced()
	}
}

// kick starts an fsync for the queued sync waiters unless one is in flight.
// If one is, the waiters it does not cover wait for the next, which kick
// starts once reap has collected the one in flight.
func (w *writer) kick() {
	if w.err == nil && !w.inflight && len(w.waiting) > 0 {
		w.startSync()
	}
}

// awaitSync settles wt, an AfterSync waiter whose data is now written, once
// all that is written is durable: at once if it is already.
func (w *writer) awaitSync(wt handoff.Waiter) {
	if w.size <= w.synced {
		wt.Done(nil)
		return
	}
	w.waiting = append(w.waiting, syncWaiter{wt: wt, off: w.size})
}

// settleSynced settles the sync waiters whose data synced covers. Their
// offsets never decrease along the queue.
func (w *writer) settleSynced() {
	k := 0
	for k < len(w.waiting) && w.waiting[k].off <= w.synced {
		w.waiting[k].wt.Done(nil)
		k++
	}
	n := copy(w.waiting, w.waiting[k:])
	clear(w.waiting[n:])
	w.waiting = w.waiting[:n]
}

// syncAll makes all that is written durable: it waits for the fsync in
// flight, fsyncs in this goroutine whatever that one did not cover, and
// settles every sync waiter. Rotation and Stop use it.
func (w *writer) syncAll() error {
	w.reap(true)
	if w.err != nil {
		return w.err
	}
	if w.dirty() {
		if err := w.sy.st.sync(w.f); err != nil {
			return w.fail("sync "+w.f.Name(), err)
		}
		w.synced = w.size
	}
	w.prog.setSynced(w.next - 1)
	w.settleSynced() // every waiter: all that is written is synced
	return nil
}
