package replica

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// machine is a node's state machine: raft's FSM, and what the node asks
// of it besides. fsm (a DB) and systemFSM (a System) are the two.
type machine interface {
	raft.FSM
	appliedIndex() uint64 // the raft index of the last entry applied
	refusal() error       // why the last Restore refused a snapshot, or nil
	refusals() uint64     // how many snapshots Restore has refused
	restored() uint64     // how many snapshots Restore has restored
	halted() error        // why it stopped applying (ErrCorruptEntry), or nil
	stopWith(err error)   // halts it: a store failed (stores_guard.go)
	close() error         // closes the local store; raft must have stopped
	// frozen freezes the state and its index between two entries, from
	// any goroutine (see freeze.go): what Snapshot and Backup write.
	frozen(ctx context.Context) (*snapshot, error)
}

// fsmBase is what both machines keep beside their store.
//
// The raft log index is the position of the state: applied is the index
// of the last entry applied (raft hands the FSM only this package's
// entries, not its own barriers and configuration changes), and a
// snapshot holds the state at the index of the last entry applied before
// it, written in the backup's header as its LSN. The local store numbers
// nothing itself (it keeps nothing on disk): after a restart raft restores
// its newest snapshot into a new store and applies the log entries after
// it, so the state is exactly the log's.
type fsmBase struct {
	applied  atomic.Uint64         // raft index of the last entry applied
	ctx      context.Context       // ended by Close: stops a Persist or Restore
	refused  atomic.Pointer[error] // why the last Restore refused a snapshot
	refusedN atomic.Uint64         // how many it refused
	restores atomic.Uint64         // how many snapshots Restore has restored
	freeze   sync.Mutex            // held by Apply and Restore, and to freeze (freeze.go)
	halt                           // set by a damaged entry: see corrupt.go
}

func (b *fsmBase) appliedIndex() uint64 { return b.applied.Load() }

// passOver reports whether Apply has nothing to apply for l, and what it
// returns then: an entry after the machine halted (see corrupt.go), or
// one of raft's own, which counts as applied.
func (b *fsmBase) passOver(l *raft.Log) (res any, done bool) {
	if b.halted() != nil {
		return b.skipped(), true
	}
	if l.Type != raft.LogCommand {
		b.applied.Store(l.Index)
		return nil, true
	}
	return nil, false
}

func (b *fsmBase) refusals() uint64 { return b.refusedN.Load() }

func (b *fsmBase) restored() uint64 { return b.restores.Load() }

func (b *fsmBase) refusal() error {
	if p := b.refused.Load(); p != nil {
		return *p
	}
	return nil
}

// took records the result of a Restore: the index of the snapshot
// restored, or why it was refused. The index is raft's, of the snapshot
// it opened (snapshotIndex), where that is known and not below the
// snapshot's own LSN: a Restore through Node.Restore puts the backup at
// an index raft chooses, past its log, whatever index the backup holds.
// The caller holds freeze.
func (b *fsmBase) took(rc io.Reader, lsn uint64, err error) error {
	if err != nil {
		b.refused.Store(&err)
		b.refusedN.Add(1)
		return err
	}
	if index, ok := snapshotIndex(rc); ok && index > lsn {
		lsn = index
	}
	b.applied.Store(lsn)
	b.restores.Add(1)
	return nil
}

// onState runs read against the store load returns, and again if a
// Restore replaced that store meanwhile (closing it): the read then sees
// the new state. The local store's ErrClosed becomes this package's.
func onState[T comparable](load func() T, read func(T) error) error {
	for {
		s := load()
		err := read(s)
		if errors.Is(err, hurrah.ErrClosed) && load() != s {
			continue
		}
		if errors.Is(err, hurrah.ErrClosed) {
			err = ErrClosed
		}
		return err
	}
}

// fsm runs a memory-only hurrah DB as raft's state machine. Raft calls
// Apply, Snapshot and Restore from one goroutine (its FSM goroutine), and
// Persist from another while Apply goes on; readers load db from any
// goroutine.
type fsm struct {
	fsmBase
	db atomic.Pointer[hurrah.DB] // swapped by Restore (FSM goroutine)
	// ops and batch are Apply's, reused from entry to entry (the DB keeps
	// nothing of a batch): the FSM goroutine's alone.
	ops   []op
	batch hurrah.Batch
}

var _ machine = (*fsm)(nil)

// newFSM returns an fsm over a new, empty, memory-only DB.
func newFSM(ctx context.Context) (*fsm, error) {
	db, err := hurrah.Open("", nil)
	if err != nil {
		return nil, err
	}
	f := &fsm{fsmBase: fsmBase{ctx: ctx}}
	f.db.Store(db)
	return f, nil
}

// Apply applies one entry: its writes, all or none (but see applyOps on
// Clear), through the DB's owner. It returns nil, or the error that every
// node met alike for this entry (ErrBadEntry): the state is unchanged; or,
// for a damaged entry and every one after it, ErrCorruptEntry.
func (f *fsm) Apply(l *raft.Log) any {
	if res, done := f.passOver(l); done {
		return res
	}
	ops, err := decodeEntryInto(f.ops, l.Data)
	if err != nil {
		return f.refuse(l.Index, err)
	}
	f.freeze.Lock() // a Backup sees all of the entry or none (freeze.go)
	defer f.freeze.Unlock()
	defer f.applied.Store(l.Index)
	f.ops = ops
	err = f.applyOps(ops)
	clear(ops) // let the entry's keys and values go
	return err
}

// applyOps applies ops as one hurrah batch; a Clear splits it, since a
// batch holds no Clear, so a stale reader may see the state between the
// parts. The DB is memory-only: the only error it can return is
// hurrah.ErrClosed, while the node stops.
func (f *fsm) applyOps(ops []op) error {
	db := f.db.Load()
	b := &f.batch
	defer b.Reset()
	for _, o := range ops {
		switch o.kind {
		case opSet:
			if o.at == 0 {
				b.SetBytes(o.key, o.value)
			} else {
				b.SetBytes(o.key, o.value, hurrah.Deadline(time.Unix(0, o.at)))
			}
		case opDelete:
			b.Delete(o.key)
		case opClear:
			if err := db.WriteReusing(b); err != nil {
				return err
			}
			if err := db.Clear(context.Background()); err != nil {
				return err
			}
		}
	}
	// WriteReusing: an entry applies whole, or the node stops, so no ctx;
	// and b is Apply's, refilled for the next entry, so no copy of it.
	return db.WriteReusing(b)
}

// Snapshot freezes the state as it is after the last Apply, at once and
// without stopping the owner (a hurrah View): Persist writes it later.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	if err := f.halted(); err != nil {
		return nil, err
	}
	return f.frozen(f.ctx)
}

// frozen freezes the state with a hurrah View, between two entries.
func (f *fsm) frozen(ctx context.Context) (*snapshot, error) {
	f.freeze.Lock()
	defer f.freeze.Unlock()
	v, err := f.db.Load().View(ctx)
	if err != nil {
		return nil, err
	}
	return &snapshot{write: v.Backup, release: v.Close, index: f.applied.Load(), ctx: f.ctx}, nil
}

// Restore replaces the state with the snapshot rc holds, once it has read
// and checked all of it: a damaged or truncated snapshot returns
// hurrah.ErrCorrupt and leaves the state as it was.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	db, lsn, err := loadSnapshot(f.ctx, rc, hurrah.OpenBackup)
	f.freeze.Lock()
	defer f.freeze.Unlock()
	if err := f.took(rc, lsn, err); err != nil {
		return err
	}
	return f.db.Swap(db).Close()
}

// close closes the DB. Raft must have stopped.
func (f *fsm) close() error { return f.db.Load().Close() }
