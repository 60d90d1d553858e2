package hurrah

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/store"
)

// handle is the lifecycle a DB and a System share: the engine that runs
// the store, what Open found on disk, and the calls that do not depend on
// what the engine holds (Sync, Snapshot, Close, Stats, Recovery). DB and
// System embed it, so its exported methods are theirs.
type handle[C, Q, R any] struct {
	eng       *store.Engine[C, Q, R]
	opts      Options        // resolved: no zero field
	level     store.Level    // the level the owner acknowledges writes at
	journaled bool           // whether writes are journaled (so commands are encoded)
	recovery  Recovery       // set by Open, then only read
	snaps     *diskSnapshots // nil for a memory-only store
	closed    atomic.Bool

	// poisoned is set, in the owner goroutine, once a System's command
	// panicked; every later call but Close returns it. A DB never sets it.
	poisoned atomic.Pointer[error]
}

// check returns ErrClosed after Close, and the poisoning error once a
// command panicked; otherwise nil. A closed store wins over anything else,
// so every call after Close returns ErrClosed.
func (h *handle[C, Q, R]) check() error {
	if h.closed.Load() {
		return ErrClosed
	}
	if p := h.poisoned.Load(); p != nil {
		return *p
	}
	return nil
}

// err turns the engine's errors into the package's.
func (h *handle[C, Q, R]) err(err error) error {
	if errors.Is(err, store.ErrClosed) {
		return ErrClosed
	}
	return err
}

// Sync returns once every write acknowledged before it was called is on
// stable storage. Concurrent calls share one fsync. On a memory-only store
// it returns at once.
func (h *handle[C, Q, R]) Sync(ctx context.Context) error {
	if err := h.check(); err != nil {
		return err
	}
	return h.err(h.eng.Sync(ctx))
}

// Snapshot saves an image of the whole store, as it is when the store
// takes the request, and returns once the snapshot is durable and the
// journal segments it covers are removed (the journal starts a new segment
// right after the snapshot's last record). The owner goroutine does not stop
// while the image is written: it keeps serving requests, and keeps changes
// aside until the image is saved. Calls made while a snapshot is being saved
// share the next one. On a memory-only store Snapshot returns nil at once.
//
// The store also snapshots on its own when the journal grows past
// Options.SnapshotThreshold and the size of the last snapshot.
//
// A System encodes its whole State in the owner goroutine instead (see
// System).
func (h *handle[C, Q, R]) Snapshot(ctx context.Context) error {
	if err := h.check(); err != nil {
		return err
	}
	return h.err(h.eng.Snapshot(ctx))
}

// Close waits for requests already queued, writes and fsyncs what the
// journal holds, releases the directory lock and stops every goroutine the
// store started. After Close every method returns ErrClosed. Close is
// idempotent: later calls return the first call's result.
func (h *handle[C, Q, R]) Close() error {
	h.closed.Store(true)
	return h.eng.Close()
}

// Recovery reports what Open (or OpenSystem) found on disk: records
// replayed, the snapshot restored and any torn tail it cut off. It is the
// zero value for a memory-only store.
func (h *handle[C, Q, R]) Recovery() Recovery { return h.recovery }

// Stats reports what the store holds and has done since Open (see Stats).
// It is cheap, takes no lock and asks the owner goroutine nothing, so it is
// safe from any goroutine, as often as a health check likes, even after
// Close.
func (h *handle[C, Q, R]) Stats() Stats {
	st := statsOf(h.eng.Stats(), h.snaps)
	if p := h.poisoned.Load(); p != nil && st.ReadOnly == nil {
		st.ReadOnly = *p
	}
	st.Closed = h.closed.Load()
	st.Watchers, st.WatchFallbacks = h.eng.Watchers(), h.eng.Fallbacks()
	return st
}
