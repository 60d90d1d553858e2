package hurrah

import (
	"context"
	"fmt"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// A watcher finds each entry, in LSN order, where it is cheapest: in the
// owner's ring while it holds it, else in the journal's segments up to what
// the journal has written (Cursor), and otherwise it waits for the ring or
// the journal to move on. In durable mode it first waits until the journal
// has synced the entry.

// watcher is one Watch iteration's state. It belongs to the caller's
// goroutine.
type watcher struct {
	db   *DB
	ctx  context.Context
	o    WatchOptions
	j    *journal.Journal
	ring *store.Ring
	cur  *journal.Cursor

	attached uint64          // LSN of the last entry applied before the watcher attached
	next     uint64          // LSN of the entry to report next
	disk     []handoff.Entry // entries read from disk from next on, not yet reported
	changes  []store.Change  // reused
	shared   *store.Change   // the ring's shared change of the entry entry returned last, or nil
	values   values          // copies of the values reported
	onDisk   bool            // reading from disk since the ring last had next (logged once)
}

// watch attaches a watcher to db's owner and starts it at from (0: after
// the last write applied).
func (db *DB) watch(ctx context.Context, from uint64, o WatchOptions) (*watcher, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	if db.snaps == nil {
		return nil, ErrMemoryOnly
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ring, last, err := db.eng.Watch(ctx)
	if err != nil {
		return nil, db.err(err)
	}
	if from == 0 {
		from = last + 1
	}
	return &watcher{db: db, ctx: ctx, o: o, j: db.snaps.j, ring: ring, cur: db.snaps.j.Cursor(), attached: last, next: from}, nil
}

// close detaches the watcher.
func (w *watcher) close() { w.db.eng.Unwatch() }

// run yields the changes of each entry in turn until yield refuses one or
// an error ends the iteration (yielded last).
func (w *watcher) run(yield func(Change, error) bool) {
	for {
		e, err := w.entry()
		if err != nil {
			yield(Change{}, err)
			return
		}
		if c := w.shared; c != nil {
			if !w.runShared(e.LSN, c, yield) {
				return
			}
			continue
		}
		w.changes, err = store.Changes(w.changes[:0], e.Data)
		if err != nil {
			yield(Change{}, fmt.Errorf("hurrah: watch: change %d: %w", e.LSN, err))
			return
		}
		for _, c := range w.changes {
			if !wanted(c, w.o.Prefix) {
				continue
			}
			if !yield(Change{LSN: e.LSN, Kind: kindOf(c.Op), Key: c.Key, Value: c.Value, Expires: deadlineTime(c.At), End: c.End}, nil) {
				return
			}
		}
		w.next++
	}
}

// maxRun is how many entries runShared reports in a row before the
// watcher checks ctx and the store again.
const maxRun = 256

// runShared reports the shared change c of the entry with LSN lsn
// (w.next), then those of the entries after it while the ring holds them
// and they are shared too, up to maxRun: the watcher's common case, with
// few of entry's checks for each (a durable watcher checks each against
// the synced LSN in entry). It still checks the store and ctx before each
// change after the first (two atomic loads): once either ends, the
// iteration ends with no more changes. It returns false once yield
// refuses a change.
func (w *watcher) runShared(lsn uint64, c *store.Change, yield func(Change, error) bool) bool {
	for n := 0; ; n++ {
		if n > 0 && w.stopped() != nil {
			return true // entry ends the iteration
		}
		if wanted(*c, w.o.Prefix) {
			var v []byte
			if c.Op == store.OpSet {
				v = w.values.copy(c.Value)
			}
			if !yield(Change{LSN: lsn, Kind: kindOf(c.Op), Key: c.Key, Value: v}, nil) {
				return false
			}
		}
		w.next++
		if w.o.Durable || n == maxRun {
			return true
		}
		var e handoff.Entry
		if e, c, _ = w.ring.LookupChange(w.next); c == nil {
			return true // not in the ring, or not shared: entry finds it
		}
		lsn = e.LSN
	}
}

// entry returns the entry with LSN w.next, waiting for it if need be.
func (w *watcher) entry() (handoff.Entry, error) {
	for {
		if err := w.stopped(); err != nil {
			return handoff.Entry{}, err
		}
		if e, st, err := w.ready(); st == store.RingHit || err != nil {
			return e, err
		}
		// Nothing yet. Channels first, checks again second: an advance in
		// between closes a channel (see wake.Signal). Entries applied
		// after the watcher attached all reach the ring, so the journal's
		// progress matters only for those before, for one the ring has
		// dropped, and to a durable watcher.
		ringMoved := w.ring.Moved()
		e, st, err := w.ready()
		if st == store.RingHit || err != nil {
			return e, err
		}
		var journalMoved <-chan struct{}
		if w.o.Durable || w.next <= w.attached || st == store.RingMissing || st == store.RingStub {
			journalMoved = w.j.Progress()
			if e, st, err := w.ready(); st == store.RingHit || err != nil {
				return e, err
			}
		}
		if err := w.wait(ringMoved, journalMoved); err != nil {
			return handoff.Entry{}, err
		}
	}
}

// ready returns the entry with LSN w.next if it is at hand (with
// store.RingHit, wherever it came from), or else what the ring said of it.
// It sets w.shared to the ring's shared change of the entry, if any.
func (w *watcher) ready() (handoff.Entry, int, error) {
	w.shared = nil
	if w.o.Durable && w.next > w.j.SyncedLSN() {
		return handoff.Entry{}, store.RingAhead, w.j.Err()
	}
	if len(w.disk) > 0 && w.disk[0].LSN == w.next {
		e := w.disk[0]
		w.disk = w.disk[1:]
		return e, store.RingHit, nil
	}
	w.disk = nil
	e, c, st := w.ring.LookupChange(w.next)
	if st == store.RingHit {
		w.shared = c
		w.onDisk = false
		return e, st, nil
	}
	upto := w.j.WrittenLSN()
	if w.next > upto {
		return handoff.Entry{}, st, nil
	}
	if st == store.RingMissing {
		w.db.eng.NoteFallback()
		if !w.onDisk && w.db.opts.Logger != nil {
			w.db.opts.Logger.Info(msgWatchFallback, "lsn", w.next, "written", upto)
		}
		w.onDisk = true
	}
	es, err := w.cur.Read(w.next, upto)
	if err != nil {
		return handoff.Entry{}, st, fmt.Errorf("hurrah: watch: %w", err)
	}
	w.disk = es[1:]
	return es[0], store.RingHit, nil
}

// stopped returns ErrClosed once the store is closed and ctx's error once
// it is done.
func (w *watcher) stopped() error {
	if err := w.db.check(); err != nil {
		return err
	}
	return w.ctx.Err()
}

// wait blocks until the ring or the journal moves on (ringMoved may be
// nil), ctx is done or the store stops.
func (w *watcher) wait(ringMoved, journalMoved <-chan struct{}) error {
	select {
	case <-ringMoved:
	case <-journalMoved:
	case <-w.ctx.Done():
		return w.ctx.Err()
	case <-w.db.eng.Stopped():
		return ErrClosed
	}
	return nil
}
