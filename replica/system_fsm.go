package replica

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// systemFSM runs a memory-only hurrah System as raft's state machine, as
// fsm runs a DB: an entry is a batch of the System's commands (see
// system_entry.go), each applied through the System's owner, in order,
// on its own.
type systemFSM[S any, C hurrah.Command[S]] struct {
	fsmBase
	sys atomic.Pointer[hurrah.System[S, C]] // swapped by Restore (FSM goroutine)
}

var _ machine = (*systemFSM[struct{}, nopCommand])(nil)

// nopCommand is a Command of struct{}, to check systemFSM's methods.
type nopCommand struct{}

func (nopCommand) Apply(*struct{}) error { return nil }

// newSystemFSM returns a systemFSM over a new memory-only System whose
// State starts as initial() (or the zero S if initial is nil). A State
// CBOR cannot encode, which no snapshot could hold, returns
// hurrah.ErrEncode.
func newSystemFSM[S any, C hurrah.Command[S]](ctx context.Context, initial func() S) (*systemFSM[S, C], error) {
	sys, err := hurrah.OpenSystem[S, C]("", initial, nil)
	if err != nil {
		return nil, err
	}
	if _, err := sys.Image(ctx); err != nil {
		sys.Close()
		return nil, fmt.Errorf("replica: the State cannot be snapshotted: %w", err)
	}
	f := &systemFSM[S, C]{fsmBase: fsmBase{ctx: ctx}}
	f.sys.Store(sys)
	return f, nil
}

// Apply applies one entry's commands, in order, and returns each one's
// error ([]error): nil, what its Apply returned (every node meets the
// same, and it changed nothing), ErrBadEntry for one that does not decode
// into a C. An entry that does not decode at all returns ErrBadEntry and
// changes nothing; a damaged one halts the machine (ErrCorruptEntry).
func (f *systemFSM[S, C]) Apply(l *raft.Log) any {
	if res, done := f.passOver(l); done {
		return res
	}
	cmds, err := decodeCommands(l.Data)
	if err != nil {
		return f.refuse(l.Index, err)
	}
	f.freeze.Lock() // a Backup sees all of the entry or none (freeze.go)
	defer f.freeze.Unlock()
	defer f.applied.Store(l.Index)
	sys := f.sys.Load()
	errs := make([]error, len(cmds))
	for i, b := range cmds {
		c, err := hurrah.Decode[C](b)
		if err != nil {
			errs[i] = fmt.Errorf("%w: command %d: %w", ErrBadEntry, i, err)
			continue
		}
		// A command applies whole, or the node stops.
		errs[i] = sys.Commit(context.Background(), c)
	}
	return errs
}

// Snapshot encodes the State as it is after the last Apply (in the
// System's owner: see hurrah.System.Image); Persist writes it later.
func (f *systemFSM[S, C]) Snapshot() (raft.FSMSnapshot, error) {
	if err := f.halted(); err != nil {
		return nil, err
	}
	return f.frozen(f.ctx)
}

// frozen encodes the State, between two entries.
func (f *systemFSM[S, C]) frozen(ctx context.Context) (*snapshot, error) {
	f.freeze.Lock()
	defer f.freeze.Unlock()
	img, err := f.sys.Load().Image(ctx)
	if err != nil {
		return nil, err
	}
	return &snapshot{write: img.Backup, release: func() error { return nil }, index: f.applied.Load(), ctx: f.ctx}, nil
}

// Restore replaces the State with the snapshot rc holds, once it has read
// and checked all of it: a damaged or truncated snapshot, or one whose
// State does not decode into an S, returns hurrah.ErrCorrupt and leaves
// the State as it was.
func (f *systemFSM[S, C]) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	sys, lsn, err := loadSnapshot(f.ctx, rc, hurrah.OpenSystemBackup[S, C])
	f.freeze.Lock()
	defer f.freeze.Unlock()
	if err := f.took(rc, lsn, err); err != nil {
		return err
	}
	return f.sys.Swap(sys).Close()
}

// close closes the System. Raft must have stopped.
func (f *systemFSM[S, C]) close() error { return f.sys.Load().Close() }
