package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Frozen is an image of the state handed to a caller outside the owner
// goroutine (a backup, say), with the LSN it was taken at.
type Frozen struct {
	// LSN is the LSN of the last entry applied in the image.
	LSN uint64
	// Image is the state at LSN. It may be read from any goroutine until
	// Release.
	Image Image

	release func()                                     // run in the owner goroutine
	read    func(ctx context.Context, fn func()) error // the engine's Read
	once    sync.Once
}

// Release gives the image back: the owner may then fold what it kept aside
// while the image was out. Call it once nobody reads the image; later
// calls do nothing. It is a no-op once the engine is closed.
func (f *Frozen) Release() {
	f.once.Do(func() {
		// ErrClosed: the owner has stopped, and nothing needs releasing.
		_ = f.read(context.Background(), f.release)
	})
}

// Freeze takes an image of the state as it is when the owner takes the
// request (Snapshotter.Freeze), as a snapshot does, but hands it to the
// caller rather than to Snapshots: nothing is written and the journal is
// not asked to rotate. The caller must Release it. Like a snapshot's, the
// image costs the owner next to nothing for a KV, and the encoding of the
// whole state for a machine that encodes in Freeze.
func (e *Engine[C, Q, R]) Freeze(ctx context.Context) (*Frozen, error) {
	sn, ok := any(e.m).(Snapshotter)
	if !ok {
		return nil, ErrNotSnapshottable
	}
	f := &Frozen{}
	var ferr error
	// state settles a race between the owner handing over the image and
	// this caller giving up on it: whoever moves it first from 0 wins.
	var state atomic.Int32 // 0: waiting; 1: handed over; 2: abandoned
	err := e.Read(ctx, func() {
		f.Image, f.release, ferr = freezeForSave(sn)
		f.LSN = e.lsn
		if !state.CompareAndSwap(0, 1) && ferr == nil {
			f.release() // the caller has gone
		}
	})
	if err != nil && state.CompareAndSwap(0, 2) {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	f.read = e.Read
	return f, nil
}
