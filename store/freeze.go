package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// The engine's side of snapshots: when to take one, freezing the machine's
// image in the owner goroutine, saving it on a goroutine of its own while
// the owner goes on, and taking the save's result back. The machine's side
// (the image and folding it back) is in image.go; the disk side is a
// Snapshots.

// Snapshots is the disk side of snapshots. The root package implements it
// over the journal's snapshot files.
type Snapshots interface {
	// Save writes img as the snapshot at lsn and makes it durable. Before
	// it makes the snapshot visible it waits for ready, which reports
	// whether the journal up to lsn is durable; a snapshot must never be
	// ahead of the journal. It then removes what the snapshot makes
	// redundant (journal segments, old snapshots) and returns the
	// snapshot's size in bytes. It gives up, cleaning up after itself,
	// when ctx ends. If the snapshot was made durable but removing what
	// it made redundant failed, it returns the size with the error.
	Save(ctx context.Context, lsn uint64, img Image, ready <-chan error) (int64, error)
	// Written returns the journal bytes written so far. It only grows.
	Written() int64
}

// SnapshotPolicy says when the engine snapshots on its own.
type SnapshotPolicy struct {
	// Threshold is the least journal growth, in bytes, that triggers a
	// snapshot; the growth must also pass the size of the last snapshot.
	// Zero or negative turns automatic snapshots off.
	Threshold int64
	// LastSize and LastLSN describe the snapshot the state was restored
	// from, or are zero.
	LastSize int64
	LastLSN  uint64
	// OnFail, if set, is told of each snapshot that fails, but not of
	// one abandoned at Close: its LSN, whether it was saved all the same
	// (only removing what it made redundant failed), and why. It runs in
	// the owner goroutine: it must not block, nor call the engine.
	OnFail func(lsn uint64, saved bool, err error)
}

// Stats is what the engine did since Start: with snapshots (the fields up
// to MaxPause, which the owner publishes whole when they change), and with
// requests (the rest; see stats.go).
type Stats struct {
	Snapshots uint64        // snapshots saved since Start
	LastLSN   uint64        // LSN of the last snapshot saved
	LastSize  int64         // its size in bytes
	Failed    uint64        // snapshots that failed
	LastErr   error         // why the last one failed, or nil
	MaxPause  time.Duration // longest owner step spent on images: a Freeze or a fold

	Ops         Ops    // requests served, by kind
	AppliedLSN  uint64 // the last LSN applied (as of the owner's last turn)
	SyncedLSN   uint64 // the last LSN the sink has made durable, if SyncedKnown
	SyncedKnown bool   // the sink reports SyncedLSN (see SyncedLSNer)
	Sized       bool   // the machine reports Keys and Bytes (see Sizer)
	Keys        int    // live keys, if Sized
	Bytes       int64  // their bytes, if Sized
	Mailbox     int    // requests waiting in the owner's mailbox
	MailboxCap  int    // the mailbox's capacity
	ReadOnly    error  // the sink's sticky failure, which makes the store refuse writes; nil if none

	// LockFreeGets counts the reads answered from the published image,
	// without the owner (publish.go); Ops[KindGet] includes them.
	LockFreeGets uint64
}

// snapState is the owner's snapshot bookkeeping. Fields without a comment
// are owned by the owner goroutine.
type snapState[C, Q, R any] struct {
	snaps   Snapshots
	policy  SnapshotPolicy
	running bool                // a snapshot is being saved
	folding bool                // the machine has overlay left to fold back
	next    []*request[C, Q, R] // callers waiting for the snapshot after the running one
	base    int64               // snaps.Written() when the last snapshot began
	last    int64               // size of the last snapshot
	lastLSN uint64              // and its LSN
	nudged  bool                // a nudge is in the mailbox

	ctx    context.Context    // ends at Close, so a save in progress gives up
	cancel context.CancelFunc // any goroutine
	stats  atomic.Pointer[Stats]
}

// SetSnapshots gives the engine somewhere to save snapshots, and says when
// to take them on its own. Call it before Start.
func (e *Engine[C, Q, R]) SetSnapshots(s Snapshots, p SnapshotPolicy) {
	e.snap.snaps, e.snap.policy, e.snap.last, e.snap.lastLSN = s, p, p.LastSize, p.LastLSN
}

// Restore replaces the state with a saved image taken at lsn. Call it only
// before Start and before Replay.
func (e *Engine[C, Q, R]) Restore(lsn uint64, n int, records func(yield func(key, value []byte) bool)) error {
	sn, ok := any(e.m).(Snapshotter)
	if !ok {
		return ErrNotSnapshottable
	}
	if err := sn.Restore(n, records); err != nil {
		return fmt.Errorf("%w: snapshot at LSN %d: %w", ErrBadEntry, lsn, err)
	}
	e.lsn = lsn
	return nil
}

// Snapshot saves an image of the state as it is when the owner takes the
// request, and returns once it is durable. While one is being saved, later
// calls share the next one. Without Snapshots it returns nil at once.
func (e *Engine[C, Q, R]) Snapshot(ctx context.Context) error {
	return e.signal(ctx, kindSnapshot)
}

// snapStats returns what the engine did with snapshots. It is safe from
// any goroutine.
func (e *Engine[C, Q, R]) snapStats() Stats {
	if p := e.snap.stats.Load(); p != nil {
		return *p
	}
	return Stats{}
}

// updateStats changes a copy of the snapshot stats and publishes it. Owner
// only.
func (e *Engine[C, Q, R]) updateStats(f func(*Stats)) {
	s := e.snapStats()
	f(&s)
	e.snap.stats.Store(&s)
}

// notePause records an owner step spent on images.
func (e *Engine[C, Q, R]) notePause(d time.Duration) {
	if d > e.snapStats().MaxPause {
		e.updateStats(func(s *Stats) { s.MaxPause = d })
	}
}

// snapFailed tells the policy's OnFail of a snapshot that failed.
func (e *Engine[C, Q, R]) snapFailed(lsn uint64, saved bool, err error) {
	if f := e.snap.policy.OnFail; f != nil {
		f(lsn, saved, err)
	}
}

// wantSnapshot reports whether the journal has grown enough since the last
// snapshot to take one on its own.
func (e *Engine[C, Q, R]) wantSnapshot() bool {
	s := &e.snap
	if s.snaps == nil || s.running || s.policy.Threshold <= 0 || e.closing.Load() {
		return false
	}
	return s.snaps.Written()-s.base > max(s.policy.Threshold, s.last)
}

// snapshot serves a Snapshot request: it starts a snapshot now, or has r
// wait for the one after the snapshot in progress.
func (o *owner[C, Q, R]) snapshot(r *request[C, Q, R]) {
	s := &o.e.snap
	switch {
	case s.snaps == nil:
		r.reply <- nil
	case s.running || s.folding:
		// The next snapshot starts once the last one is saved and its
		// overlay folded back, so that snapshots in a row do not stack
		// layers that reads look through.
		s.next = append(s.next, r)
	default:
		o.startSnapshot([]*request[C, Q, R]{r})
	}
}

// scheduleSnapshot starts, at the end of a turn, the snapshot that callers
// wait for, or one the journal's growth calls for, once no snapshot is
// being saved or folded back.
func (o *owner[C, Q, R]) scheduleSnapshot() {
	s := &o.e.snap
	switch {
	case s.running || s.folding:
	case len(s.next) > 0:
		next := s.next
		s.next = nil
		o.startSnapshot(next)
	case o.failed == nil && o.e.wantSnapshot():
		o.startSnapshot(nil)
	}
}

// startSnapshot freezes an image at the current LSN and starts a goroutine
// that saves it, to settle waiters when done. The journal is asked to start
// a new segment after the last entry the image holds (the Parcel that asks
// is handed over at once, with seal, so that nothing applied later shares
// it), and then to report, in the next Parcel, once all of that is synced:
// the snapshot may then be made visible and the segments it covers
// removed.
func (o *owner[C, Q, R]) startSnapshot(waiters []*request[C, Q, R]) {
	e := o.e
	s := &e.snap
	fail := func(err error) {
		for _, w := range waiters {
			w.reply <- err
		}
	}
	if e.closing.Load() {
		fail(ErrClosed)
		return
	}
	sn, ok := any(e.m).(Snapshotter)
	if !ok {
		fail(ErrNotSnapshottable)
		return
	}
	if e.lsn == s.lastLSN {
		// The last snapshot holds this state already (or, at LSN 0,
		// the empty journal does).
		fail(nil)
		return
	}
	t0 := time.Now()
	img, release, err := freezeForSave(sn)
	e.notePause(time.Since(t0))
	if err != nil {
		// Let the journal grow as much again before trying on its own.
		s.base = s.snaps.Written()
		e.updateStats(func(st *Stats) { st.Failed++; st.LastErr = err })
		e.snapFailed(e.lsn, false, err)
		fail(err)
		return
	}
	ready := make(chan error, 1)
	o.parcel().Rotate = true
	o.seal()
	p := o.parcel()
	p.AfterSync = append(p.AfterSync, chanWaiter(ready))
	s.running, s.base = true, s.snaps.Written()
	e.wg.Add(1)
	go e.save(e.lsn, img, release, ready, waiters)
}

// save is the goroutine that saves a frozen image at lsn once the journal
// is ready, and then reports to the owner.
func (e *Engine[C, Q, R]) save(lsn uint64, img Image, release func(), ready <-chan error, waiters []*request[C, Q, R]) {
	defer e.wg.Done()
	size, err := e.snap.snaps.Save(e.snap.ctx, lsn, img, ready)
	done := &request[C, Q, R]{kind: kindSnapDone}
	done.snap = &snapDone[C, Q, R]{lsn: lsn, size: size, err: err, release: release, waiters: waiters}
	// If the owner has stopped, the send fails and Close answers the
	// waiters (they wait on e.stopped too).
	_ = e.act.Send(context.Background(), done)
}

// finishSnapshot handles the end of a save.
func (o *owner[C, Q, R]) finishSnapshot(d *snapDone[C, Q, R]) {
	e := o.e
	s := &e.snap
	d.release()
	s.running = false
	s.folding = true // until the owner's next Fold says otherwise
	err := d.err
	if d.size > 0 { // saved, even if removing what it made redundant failed
		s.last, s.lastLSN = d.size, d.lsn
		e.updateStats(func(st *Stats) { st.Snapshots++; st.LastLSN, st.LastSize = d.lsn, d.size })
	}
	if err != nil {
		if e.closing.Load() && errors.Is(err, context.Canceled) {
			err = ErrClosed
		} else {
			e.snapFailed(d.lsn, d.size > 0, err)
		}
		e.updateStats(func(st *Stats) { st.Failed++; st.LastErr = err })
	}
	for _, w := range d.waiters {
		w.reply <- err
	}
	// The owner starts the next snapshot, if callers wait for one, once
	// this one's overlay is folded back.
}

// snapDone is the message a save sends the owner when it ends.
type snapDone[C, Q, R any] struct {
	lsn     uint64
	size    int64
	err     error
	release func()
	waiters []*request[C, Q, R]
}

// chanWaiter is a handoff.Waiter that reports on a channel buffered to one.
type chanWaiter chan error

// Done implements handoff.Waiter.
func (c chanWaiter) Done(err error) { c <- err }

// Reserver is a machine that can make room for about n entries ahead of a
// replay, so that its map is not grown step by step while it fills, and
// give back the room an estimate far too high left empty.
type Reserver interface {
	Reserve(n int)
	Fit(n int)
}

// Reserve makes room for about n entries in a machine that implements
// Reserver; otherwise it does nothing. Call it only before Start.
func (e *Engine[C, Q, R]) Reserve(n int) {
	if r, ok := any(e.m).(Reserver); ok && n > 0 {
		r.Reserve(n)
	}
}

// Fit tells a machine that implements Reserver that the replay a
// Reserve(n) made room for has ended, so that it can shrink a map that
// was sized far too large. Call it only before Start.
func (e *Engine[C, Q, R]) Fit(n int) {
	if r, ok := any(e.m).(Reserver); ok && n > 0 {
		r.Fit(n)
	}
}

// saveFreezer is implemented by machines whose image for a snapshot can
// leave out what only readers use (KV: the ordered index). A snapshot or
// a backup (Engine.Freeze) taken right after Open, while the index is
// still being built in the background, then does not build it in the
// owner's turn (about 0.4 s for 1M keys).
type saveFreezer interface {
	freezeForSave() (Image, func(), error)
}

// freezeForSave freezes sn for a snapshot or an Engine.Freeze, whose
// images are written out whole, in no particular order.
func freezeForSave(sn Snapshotter) (Image, func(), error) {
	if f, ok := sn.(saveFreezer); ok {
		return f.freezeForSave()
	}
	return sn.Freeze()
}
