package journal

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/cborhead"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// The writer: the journal actor's handler, which frames the parcels it
// drains into the current segment, rotates segments, and settles waiters
// (the syncer runs its fsyncs; see syncer.go).

// writer is the journal actor's handler. Its fields are owned by the actor
// goroutine (Open sets them before it starts), except where a comment says
// otherwise.
type writer struct {
	fs          vfs.FS    // actor goroutine (set by Open, never changed)
	dir         string    // actor goroutine (set by Open, never changed)
	segmentSize int64     // actor goroutine (set by Open, never changed)
	lock        io.Closer // actor goroutine: released by Stop
	markers     []segFile // actor goroutine: the clean-close markers in dir (closed.go)

	f        vfs.File // actor goroutine: current segment; nil once closed or after a failed rotation
	size     int64    // actor goroutine: bytes written to f
	synced   int64    // actor goroutine: offset in f up to which an fsync has completed
	recorded int64    // actor goroutine: the synced offset the last frame written to f records (at Open, f's size: all of it)
	next     uint64   // actor goroutine: LSN the next entry must carry
	err      error    // actor goroutine: the sticky failure, or nil

	sy        *syncer           // actor goroutine (set by Open, never changed); its fields say who owns them
	inflight  bool              // actor goroutine: an fsync of f was asked of the syncer and its result not yet collected
	waiting   []syncWaiter      // actor goroutine: AfterSync waiters whose data is written to f but not yet known to be synced, oldest first
	held      []*handoff.Parcel // actor goroutine: parcels kept unwritten until the fsync in flight completes (see mayHold), oldest first
	heldBytes int               // actor goroutine: entry bytes in held

	buf  []byte            // actor goroutine: encoding buffer, reused across writes
	ents [][]byte          // actor goroutine: entries of the frame being encoded, reused
	bs   []*handoff.Parcel // actor goroutine: the parcels of the messages being handled, reused

	failed  atomic.Pointer[error] // written by the actor goroutine, read by any: err, for Journal.Err
	nextLSN atomic.Uint64         // written by the actor goroutine, read by any: next, for Journal.NextLSN
	written atomic.Int64          // written by the actor goroutine, read by any: for Journal.Written
	prog    progress              // written by the actor goroutine, read by any: WrittenLSN, SyncedLSN (progress.go)
	seek    seeker                // written by the actor goroutine, read by any: where frames start in f (seek.go)
}

// The writer is the actor's handler, ticker and stopper.
var (
	_ actor.Handler[message] = (*writer)(nil)
	_ actor.Ticker           = (*writer)(nil)
	_ actor.Stopper          = (*writer)(nil)
)

// maxKeptBuf is the largest encoding buffer kept between writes.
const maxKeptBuf = 2 * splitPayload

// Handle collects the result of an fsync that has completed, writes the
// entries of the parcels among ms with one write, settles their AfterWrite
// waiters, queues their AfterSync waiters, and starts an fsync for those
// unless one is in flight. Batches that only wait for an fsync may instead
// be held until the one in flight completes (mayHold). A message without a
// parcel is the syncer's wake-up.
func (w *writer) Handle(ms []message) {
	bs := w.bs[:0]
	for _, m := range ms {
		if m.b == nil {
			w.sy.woken.Store(false) // before reap polls: see syncer.run
		} else {
			bs = append(bs, m.b)
		}
	}
	// Collect first, so that the frames written below record the latest
	// fsync and a sync-only parcel covered by it is settled at once.
	w.reap(false)
	if len(bs) > 0 && !w.mayHold(bs) {
		w.flush(bs)
	}
	w.proceed()
	clear(bs)
	w.bs = bs[:0]
}

// Limits on what mayHold keeps unwritten.
const (
	maxHeld      = 1024         // parcels
	maxHeldBytes = splitPayload // entry bytes
)

// mayHold appends bs to the held parcels and reports true if all of them
// can wait, unwritten, for the fsync in flight to complete. A parcel whose
// only waiters are AfterSync waiters gains nothing from being written
// earlier: the fsync it needs cannot start before then. Holding such
// parcels and writing them all at once when the fsync completes saves a
// write per parcel under a synced load, where they arrive one by one. A parcel
// with AfterWrite waiters, or with none (its entries should reach the OS at
// once), cannot wait; nor can a parcel with no entries unless some are held
// before it (the fsync in flight may cover its waiters). No more than
// maxHeld parcels and maxHeldBytes entry bytes are held.
func (w *writer) mayHold(bs []*handoff.Parcel) bool {
	if w.err != nil || !w.inflight {
		return false
	}
	n, size := len(w.held), w.heldBytes
	for _, b := range bs {
		if len(b.AfterWrite) > 0 || len(b.AfterSync) == 0 || len(b.Entries) == 0 && n == 0 {
			return false
		}
		for _, e := range b.Entries {
			size += len(e.Data)
		}
		n++
	}
	if n > maxHeld || size > maxHeldBytes {
		return false
	}
	w.held = append(w.held, bs...)
	w.heldBytes = size
	return true
}

// flush writes the held parcels and then bs with one write, and settles or
// queues their waiters.
func (w *writer) flush(bs []*handoff.Parcel) {
	all := append(w.held, bs...)
	if len(all) == 0 {
		return
	}
	w.held, w.heldBytes = nil, 0
	w.handle(all)
	clear(all)
	w.held = all[:0]
}

// proceed follows whatever may have completed an fsync: once none is in
// flight, it writes the held parcels, then starts the fsync the queued sync
// waiters need.
func (w *writer) proceed() {
	if !w.inflight {
		w.flush(nil)
	}
	w.kick()
}

// handle writes the entries of bs and settles or queues their waiters. A
// parcel with Rotate ends a write: the journal starts a new segment after
// it (if the current one holds any entries), before the parcels that
// follow it are written.
func (w *writer) handle(bs []*handoff.Parcel) {
	for {
		i := slices.IndexFunc(bs, func(b *handoff.Parcel) bool { return b.Rotate })
		if i < 0 {
			w.handleGroup(bs)
			return
		}
		w.handleGroup(bs[:i+1])
		if w.err == nil && w.size > segmentHeaderSize {
			w.rotate() // a failure makes the journal read-only, and settles the waiters
		}
		bs = bs[i+1:]
	}
}

// handleGroup writes the entries of bs with one write and settles or
// queues their waiters.
func (w *writer) handleGroup(bs []*handoff.Parcel) {
	if w.err != nil {
		settle(bs, w.err)
		return
	}
	n, cause := w.check(bs)
	w.commit(bs[:n])
	if n < len(bs) {
		if w.err == nil {
			w.fail("append", cause)
		}
		settle(bs[n:], w.err)
	}
}

// Tick starts an fsync if anything was written since the last one and none
// is in flight.
func (w *writer) Tick() {
	w.reap(false)
	w.proceed()
	if w.err == nil && !w.inflight && w.dirty() {
		w.startSync()
	}
}

// Stop writes the held parcels, waits for the fsync in flight, fsyncs what
// is unsynced, records that fsync (mark), closes the segment, stops the
// syncer and releases the lock.
func (w *writer) Stop() error {
	w.flush(nil)
	var errs []error
	if w.f != nil {
		if w.err == nil {
			if w.syncAll() == nil {
				w.mark()
			}
		} else {
			w.reap(true)
			if w.dirty() {
				// The journal acknowledges nothing more, but written
				// entries gain from being made durable all the same.
				w.f.Sync()
			}
		}
		if err := w.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("journal: close %s: %w", w.f.Name(), err))
		} else if w.err == nil && w.next > 1 {
			// All up to next-1 is durable: say so where a lost
			// segment cannot take it along.
			if err := markClosed(w.fs, w.dir, w.markers, w.next-1); err != nil {
				errs = append(errs, err)
			}
		}
		w.f = nil
	}
	w.sy.stop()
	if err := w.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("journal: release lock in %s: %w", w.dir, err))
	}
	if w.err != nil {
		return w.err
	}
	return errors.Join(errs...)
}

// mark records the fsync Stop has just completed, if no frame records it
// yet: when the last frame written says less of the segment is synced than
// now is, it appends a frame with no entries whose synced offset is the
// segment's size, and fsyncs it. Recovery then judges damage anywhere before
// that frame to be corruption, not a torn tail. A segment closed with
// nothing written since its last such frame gets no other, so opening and
// closing a journal without writing leaves it unchanged.
func (w *writer) mark() {
	if w.recorded >= w.synced {
		return
	}
	w.buf = appendFrame(w.buf[:0], w.next, uint64(w.synced), nil)
	if err := w.writeBuf(); err != nil {
		return
	}
	w.recorded = w.synced
	if err := w.sy.st.sync(w.f); err != nil {
		w.fail("sync "+w.f.Name(), err)
		return
	}
	w.synced = w.size
	w.prog.setSynced(w.next - 1)
}

// check returns how many parcels of bs, from the start, keep the log
// contiguous and within limits, and what is wrong with the next one.
func (w *writer) check(bs []*handoff.Parcel) (int, error) {
	next := w.next
	for i, b := range bs {
		for _, e := range b.Entries {
			if e.LSN != next {
				return i, fmt.Errorf("%w: entry with LSN %d where %d was due", ErrInvalidParcel, e.LSN, next)
			}
			if len(e.Data) > MaxEntry {
				return i, fmt.Errorf("%w: entry %d is %d bytes, over MaxEntry", ErrInvalidParcel, e.LSN, len(e.Data))
			}
			next++
		}
	}
	return len(bs), nil
}

// commit writes the entries of bs, settles their AfterWrite waiters and
// queues their AfterSync waiters (awaitSync).
func (w *writer) commit(bs []*handoff.Parcel) {
	if err := w.write(bs); err != nil {
		settle(bs, err)
		return
	}
	for _, b := range bs {
		for _, wt := range b.AfterWrite {
			wt.Done(nil)
		}
		for _, wt := range b.AfterSync {
			w.awaitSync(wt)
		}
	}
}

// write frames the entries of bs and writes them with one write, rotating
// to a new segment first if the current one is full.
func (w *writer) write(bs []*handoff.Parcel) error {
	count := 0
	for _, b := range bs {
		count += len(b.Entries)
	}
	if count == 0 {
		return nil
	}
	if w.size >= w.segmentSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	w.encode(bs)
	at := w.size
	if err := w.writeBuf(); err != nil {
		return err
	}
	w.seek.mark(w.next, at)
	w.recorded = w.synced // what encode put in the frames
	w.next += uint64(count)
	w.nextLSN.Store(w.next)
	w.prog.setWritten(w.next - 1)
	return nil
}

// encode fills w.buf with the frames for the entries of bs. All of them go
// in one frame unless its payload would pass splitPayload: then a parcel that
// does not fit starts a new frame, and a parcel too big for a frame of its own
// is split between entries.
func (w *writer) encode(bs []*handoff.Parcel) {
	buf := w.buf[:0]
	ents := w.ents[:0]
	first := w.next
	synced := uint64(w.synced)
	size := payloadOverhead // payload bytes of ents, bounded from above
	flush := func() {
		if len(ents) > 0 {
			buf = appendFrame(buf, first, synced, ents)
			first += uint64(len(ents))
			clear(ents)
			ents = ents[:0]
			size = payloadOverhead
		}
	}
	for _, b := range bs {
		bsize := 0
		for _, e := range b.Entries {
			bsize += entrySize(e.Data)
		}
		if size+bsize > splitPayload {
			flush()
		}
		for _, e := range b.Entries {
			es := entrySize(e.Data)
			if size+es > splitPayload {
				flush()
			}
			ents = append(ents, e.Data)
			size += es
		}
	}
	flush()
	w.buf, w.ents = buf, ents
}

// writeBuf writes w.buf to the segment with one write. A failure makes the
// journal read-only.
func (w *writer) writeBuf() error {
	n, err := w.f.Write(w.buf)
	w.size += int64(n)
	w.written.Add(int64(n))
	if err == nil && n < len(w.buf) {
		err = io.ErrShortWrite
	}
	if cap(w.buf) > maxKeptBuf {
		w.buf = nil
	}
	if err != nil {
		return w.fail("write "+w.f.Name(), err)
	}
	return nil
}

// entrySize is the payload bytes an entry takes.
func entrySize(data []byte) int { return cborhead.Size(uint64(len(data))) + len(data) }

// dirty reports whether the segment holds bytes not yet fsynced.
func (w *writer) dirty() bool { return w.size > w.synced }

// rotate closes the current segment, fsynced, and starts the next one. It
// waits for the fsync in flight and fsyncs the rest in this goroutine
// (rotation is rare), which settles every sync waiter: they all wait for
// data in the old segment.
func (w *writer) rotate() error {
	if err := w.syncAll(); err != nil {
		return err
	}
	name := w.f.Name()
	err := w.f.Close()
	w.f = nil
	if err != nil {
		return w.fail("close "+name, err)
	}
	f, err := createSegment(w.fs, w.dir, w.next)
	if err != nil {
		return w.fail("rotate", err)
	}
	w.f, w.size, w.synced, w.recorded = f, segmentHeaderSize, segmentHeaderSize, segmentHeaderSize
	w.seek.restart(f.Name())
	return nil
}

// fail makes the journal read-only with cause, settles every queued sync
// waiter with the sticky error and returns it. An fsync still in flight is
// collected later, and acknowledges nothing.
func (w *writer) fail(what string, cause error) error {
	err := fmt.Errorf("%w: %s: %w", ErrReadOnly, what, cause)
	first := w.err == nil
	w.err = err
	w.failed.Store(&err)
	if first && w.sy.st.ev.OnReadOnly != nil {
		w.sy.st.ev.OnReadOnly(err)
	}
	w.prog.moved.Notify() // wake whoever waits for an LSN that will not come
	for _, s := range w.waiting {
		s.wt.Done(err)
	}
	clear(w.waiting)
	w.waiting = w.waiting[:0]
	return err
}

// settle settles every waiter of bs with err.
func settle(bs []*handoff.Parcel, err error) {
	for _, b := range bs {
		for _, wt := range b.AfterWrite {
			wt.Done(err)
		}
		for _, wt := range b.AfterSync {
			wt.Done(err)
		}
	}
}
