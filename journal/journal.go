package journal

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Defaults for Options fields left zero.
const (
	// DefaultSyncInterval is the default period of the background fsync.
	DefaultSyncInterval = 100 * time.Millisecond
	// DefaultSegmentSize is the default size at which segments rotate.
	DefaultSegmentSize = 64 << 20
)

// Options configure a Journal. The zero value is valid; negative values are
// refused.
type Options struct {
	// SyncInterval is the period of the background fsync. Default
	// DefaultSyncInterval.
	SyncInterval time.Duration
	// SegmentSize is the size at which the current segment is closed and a
	// new one started (a segment may pass it by one write). Default
	// DefaultSegmentSize.
	SegmentSize int64
	// Mailbox is the capacity of the journal's mailbox, in parcels; Append
	// blocks while it is full. Default actor.DefaultMailbox.
	Mailbox int
	// MaxDrain is the most parcels written with one write. Default
	// actor.DefaultMaxDrain.
	MaxDrain int
	// From makes recovery replay only entries with an LSN above it; 0
	// replays all. The segments must cover From+1 onwards without a gap
	// (a snapshot taken at From holds the rest).
	From uint64
	// Restore, when set, makes recovery restore the newest snapshot in
	// the directory that passes its checks (see Recovery in the package
	// documentation) before it replays the entries after it. Entries up
	// to the snapshot's LSN are skipped, as with From.
	Restore func(*Snapshot) error
	// Peek, when set, is shown the entries recovery is about to pass to
	// replay, PeekRun at a time (fewer at a segment's end), before replay
	// gets the first of them. It is a hint and must change nothing replay
	// sees: a store looks their keys up, so that the slots replay fills
	// are in the processor's cache by then (store/prefetch.go).
	Peek func([]handoff.Entry)

	// Events are hooks for rare events: slow fsyncs, turning read-only.
	Events Events
}

// PeekRun is how many entries Options.Peek is shown at a time.
const PeekRun = 32

// withDefaults returns o with its zero fields set to their defaults, or an
// error if any is negative.
func (o Options) withDefaults() (Options, error) {
	if o.SyncInterval < 0 || o.SegmentSize < 0 || o.Mailbox < 0 || o.MaxDrain < 0 {
		return o, fmt.Errorf("journal: negative option in %+v", o)
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	return o, nil
}

// Journal is an open journal directory and the actor that writes to it. Its
// methods are safe for concurrent use, but entries must arrive in LSN order,
// so in practice one goroutine (the store's owner) appends parcels with
// entries; parcels without entries (such as Sync requests) may come from
// anywhere.
type Journal struct {
	w *writer
	a *actor.Actor[message]

	// mu orders Append against Close: Close sets closed under the write
	// lock, so once it calls the actor's Close no Send is in flight and no
	// parcel can slip into the mailbox after the actor's final drain, where
	// it would never be handled and its waiters never settled.
	mu     sync.RWMutex
	closed bool
}

// Open opens the journal in dir, creating dir if it is missing, and recovers
// it as the package documentation (Recovery) describes: replay is called
// synchronously, in LSN order, for every entry with an LSN above opts.From,
// before Open returns. An error from replay aborts Open and is returned
// wrapped. If Open fails, replay may have
// seen a prefix of the log, which the caller should discard. The Data of an
// entry passed to replay aliases a read buffer that the journal does not
// reuse; keeping it keeps that whole segment image in memory.
//
// replay may be nil. The Journal holds an exclusive lock on dir until Close;
// a second Open of dir fails with ErrLocked.
func Open(fsys vfs.FS, dir string, opts Options, replay func(handoff.Entry) error) (*Journal, Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, Report{}, err
	}
	t, rep, err := recoverDir(fsys, dir, opts.From, opts.Restore, opts.Peek, replay)
	if err != nil {
		return nil, Report{}, err
	}
	w := &writer{
		fs:          fsys,
		dir:         dir,
		segmentSize: opts.SegmentSize,
		lock:        t.lock,
		f:           t.f,
		size:        t.size,
		synced:      t.size,
		recorded:    t.size,
		next:        t.next,
		markers:     t.markers,
		sy:          newSyncer(),
	}
	w.sy.st.ev = opts.Events
	w.seek.every = seekSpacing(opts.SegmentSize)
	if t.f != nil {
		w.seek.restart(t.f.Name())
	}
	w.nextLSN.Store(t.next)
	w.written.Store(t.total)
	w.prog.written.Store(t.next - 1)
	w.prog.synced.Store(t.next - 1)
	j := &Journal{w: w}
	// Step 7 of the recovery procedure.
	j.a = actor.Start[message](w, actor.Options{
		Mailbox:  opts.Mailbox,
		MaxDrain: opts.MaxDrain,
		Tick:     opts.SyncInterval,
	})
	w.sy.start(func() error { return j.a.SendControl(context.Background(), message{}) })
	return j, rep, nil
}

// Append hands b to the journal, waiting while the mailbox is full. The
// journal then owns b: it writes the entries, which must continue the log's
// LSNs without a gap, and settles b's waiters. It returns once b is queued,
// not written.
//
// If Append returns an error (ctx ended, or the journal is closed: an error
// wrapping actor.ErrClosed) b was not queued and its waiters are not
// settled; that is up to the caller. A journal that has failed still takes
// b and settles its waiters with the failure. A nil b is ignored.
func (j *Journal) Append(ctx context.Context, b *handoff.Parcel) error {
	if b == nil {
		return nil
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.closed {
		return fmt.Errorf("journal: append: %w", actor.ErrClosed)
	}
	if err := j.a.Send(ctx, message{b: b}); err != nil {
		return fmt.Errorf("journal: append: %w", err)
	}
	return nil
}

// Err returns the failure that made the journal read-only (an error wrapping
// ErrReadOnly), or nil. It is cheap and safe from any goroutine.
func (j *Journal) Err() error {
	if p := j.w.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// Written returns how many bytes the journal held at Open plus how many it
// has written since. It only grows; the store compares its growth with the
// size of the last snapshot to decide when to take the next.
func (j *Journal) Written() int64 { return j.w.written.Load() }

// NextLSN returns the LSN the next appended entry must carry. Right after
// Open that is the LSN after the last one recovered (or Options.From+1);
// later it counts only the entries written so far, not those still queued.
func (j *Journal) NextLSN() uint64 { return j.w.nextLSN.Load() }

// Close writes what the mailbox holds, waits for the fsync in progress,
// fsyncs if anything is unsynced, records that fsync in a frame with no
// entries (as the package documentation describes) and fsyncs that too,
// closes the segment, releases the directory lock and waits for the actor
// and the syncer to exit. It returns the failure that made the journal
// read-only, or else any error from that final work. Close is idempotent:
// later calls return the same result. It must not be called from a waiter's
// Done.
func (j *Journal) Close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	return j.a.Close()
}
