package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
)

// Level says when the caller of a mutation is answered.
type Level uint8

// Acknowledgement levels.
const (
	// AckApplied answers once the owner has applied the mutation.
	AckApplied Level = iota
	// AckWritten answers once the sink has handed it to the OS.
	AckWritten
	// AckSynced answers once the sink has made it durable. A mutation
	// that changes nothing answers once the state it read is durable:
	// everything applied before it.
	AckSynced
)

// Machine is a deterministic state machine. Its methods are called from one
// goroutine at a time (see the package doc); they must not block or do I/O.
type Machine[C, Q, R any] interface {
	// Apply applies c. changed reports whether the state changed: a command
	// that changed nothing is not journaled. An error means nothing
	// changed.
	Apply(c C) (r R, changed bool, err error)
	// Query answers q without changing the state.
	Query(q Q) R
}

// Sink receives what the owner applied. The journal is one.
type Sink interface {
	// Append takes ownership of b and settles its waiters, eventually.
	// An error means it did neither.
	Append(ctx context.Context, b *handoff.Parcel) error
	// Err returns the sink's sticky failure, if any; while it is non-nil
	// the engine refuses mutations with it.
	Err() error
	// Close flushes and stops the sink.
	Close() error
}

// Engine runs a Machine in an owner goroutine.
type Engine[C, Q, R any] struct {
	m      Machine[C, Q, R]
	folder folder // m, if it defers work after images (else nil)
	decode func([]byte) (C, error)
	lsn    uint64 // last LSN applied; owned by Replay's caller, then the owner

	sink    Sink
	feed    feed // the change feed's ring (changes_ring.go)
	snap    snapState[C, Q, R]
	exp     expiryState    // the owner's expiry of keys (expiry_owner.go)
	pub     pubState       // the image published for lock-free reads (publish.go)
	closing atomic.Bool    // Close has begun: start no more snapshots
	wg      sync.WaitGroup // snapshot saves in progress
	act     *actor.Actor[*request[C, Q, R]]
	// pool is apart from the Engine: the runtime keeps every used
	// sync.Pool until two collections later, and one inside the Engine
	// kept a closed store's whole state alive that long (release_test.go).
	pool    *actor.Pool[*request[C, Q, R]]
	stopped chan struct{} // closed once the owner and the sink have stopped

	live *liveStats[C, Q] // what the owner counts (stats.go): apart, so its writes share no cache line with what callers read

	closeOnce sync.Once
	closeErr  error
}

// New returns an engine for m that has not started. decode turns a journaled
// entry back into a command, for Replay. last is the LSN the state already
// reflects (zero for an empty state).
func New[C, Q, R any](m Machine[C, Q, R], decode func([]byte) (C, error), last uint64) *Engine[C, Q, R] {
	e := &Engine[C, Q, R]{m: m, decode: decode, lsn: last, stopped: make(chan struct{})}
	e.folder, _ = any(m).(folder)
	e.pub.m, _ = any(m).(publisher)
	e.live = newLiveStats[C, Q](m)
	e.pool = &actor.Pool[*request[C, Q, R]]{New: func() *request[C, Q, R] {
		return &request[C, Q, R]{reply: make(chan error, 1)}
	}}
	return e
}

// Replay applies a journaled entry. Call it only before Start, from one
// goroutine, with entries in LSN order.
func (e *Engine[C, Q, R]) Replay(en handoff.Entry) error {
	if en.LSN != e.lsn+1 {
		return fmt.Errorf("%w: want LSN %d, got %d", ErrLSNGap, e.lsn+1, en.LSN)
	}
	c, err := e.decode(en.Data)
	if err != nil {
		return fmt.Errorf("%w: LSN %d: %w", ErrBadEntry, en.LSN, err)
	}
	if _, _, err := e.m.Apply(c); err != nil {
		return fmt.Errorf("%w: LSN %d: %w", ErrBadEntry, en.LSN, err)
	}
	e.lsn = en.LSN
	return nil
}

// LastLSN returns the LSN of the last applied entry. Call it only before
// Start.
func (e *Engine[C, Q, R]) LastLSN() uint64 { return e.lsn }

// Start launches the owner goroutine. sink may be nil for a store that keeps
// nothing; otherwise the engine closes it in Close.
func (e *Engine[C, Q, R]) Start(sink Sink, opts actor.Options) {
	e.sink = sink
	e.snap.ctx, e.snap.cancel = context.WithCancel(context.Background())
	if sink == nil {
		e.snap.snaps = nil
	}
	build := e.indexLater() // deferred while Restore and Replay ran (ordered_background.go)
	e.live.publish(e.lsn)   // what Restore and Replay left
	e.act = actor.Start[*request[C, Q, R]](&owner[C, Q, R]{e: e}, opts)
	e.startIndex(build)
	e.kickExpiry()
}

// Update applies c, whose encoding is data, and answers at the given level.
// It returns the machine's result. If ctx ends first it returns ctx's error;
// the command may then still be applied if the owner had already taken it.
func (e *Engine[C, Q, R]) Update(ctx context.Context, c C, data []byte, level Level) (R, error) {
	r := e.pool.Get()
	r.kind, r.cmd, r.data, r.level = kindUpdate, c, data, level
	return e.call(ctx, r)
}

// Query answers q in the owner goroutine.
func (e *Engine[C, Q, R]) Query(ctx context.Context, q Q) (R, error) {
	r := e.pool.Get()
	r.kind, r.query = kindQuery, q
	return e.call(ctx, r)
}

// Exec runs fn in the owner goroutine, between other requests, and answers
// at the given level. fn may read and change the machine (it must capture
// it); if it changes it, it returns the journal encoding of a command that
// replays the change, else nil. An error from fn means nothing changed.
// While the sink has failed, Exec returns its error without running fn.
func (e *Engine[C, Q, R]) Exec(ctx context.Context, fn func() ([]byte, error), level Level) error {
	r := e.pool.Get()
	r.kind, r.exec, r.level = kindExec, fn, level
	_, err := e.call(ctx, r)
	return err
}

// Read runs fn in the owner goroutine. fn must not change the machine. It
// runs even after the sink has failed.
func (e *Engine[C, Q, R]) Read(ctx context.Context, fn func()) error {
	r := e.pool.Get()
	r.kind, r.read = kindRead, fn
	_, err := e.call(ctx, r)
	return err
}

// Sync returns once every mutation acknowledged before it is durable (at
// once when there is no sink).
func (e *Engine[C, Q, R]) Sync(ctx context.Context) error {
	return e.signal(ctx, kindSync)
}

// signal sends the owner a request of kind k that carries nothing, and
// returns its answer.
func (e *Engine[C, Q, R]) signal(ctx context.Context, k kind) error {
	r := e.pool.Get()
	r.kind = k
	_, err := e.call(ctx, r)
	return err
}

func (e *Engine[C, Q, R]) call(ctx context.Context, r *request[C, Q, R]) (R, error) {
	var zero R
	r.fixed = ctx.Done() == nil
	if err := e.act.Send(ctx, r); err != nil {
		r.reset()
		e.pool.Put(r)
		return zero, closedErr(err)
	}
	// Every request the owner takes is answered: by the owner, or by the
	// sink, which settles every waiter it is handed (on success, failure
	// or Close) and is closed only after the owner has stopped. Only a
	// request that landed after the owner's final drain goes unanswered,
	// and that can happen only if Close had begun by now. A snapshot is
	// answered by a save that may end after the owner has stopped. Those
	// wait on e.stopped too.
	var stopped <-chan struct{}
	if r.kind == kindSnapshot || e.act.Closed() {
		stopped = e.stopped
	}
	err, werr := actor.Await(ctx, r.reply, stopped)
	if werr != nil {
		// Withdraw the request if the owner has not taken it yet (a fixed
		// one it runs anyway). Either way the owner may still hold it, so
		// it is not recycled.
		if !r.state.CompareAndSwap(pending, withdrawn) && (r.kind == kindRead || r.kind == kindExec) {
			// The owner has taken it and is running, or will run, the
			// caller's function, which may read and write the caller's
			// memory: wait until it is done, so that nothing touches
			// that memory after the caller has its error.
			actor.Await(context.Background(), r.reply, e.stopped)
		}
		return zero, closedErr(werr)
	}
	res := r.result
	r.reset()
	e.pool.Put(r)
	return res, err
}

func closedErr(err error) error {
	if errors.Is(err, actor.ErrClosed) {
		return ErrClosed
	}
	return err
}

// Close stops the owner after it has served every request already queued,
// abandons a snapshot being saved, then closes the sink, which flushes and syncs it. It returns the first
// error and is idempotent.
func (e *Engine[C, Q, R]) Close() error {
	e.closeOnce.Do(func() {
		e.closing.Store(true)
		if e.snap.cancel != nil {
			e.snap.cancel() // a save in progress gives up
		}
		e.closeErr = e.act.Close()
		e.wg.Wait()
		e.feed.stop() // the owner has stopped: it arms no timer again
		if m, ok := any(e.m).(mergeWaiter); ok {
			m.waitMerge() // the owner has stopped: nothing else reads e.m
		}
		if e.sink != nil {
			if err := e.sink.Close(); e.closeErr == nil {
				e.closeErr = err
			}
		}
		close(e.stopped)
	})
	return e.closeErr
}
