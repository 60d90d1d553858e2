package hurrah

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/store"
)

// Command is a change to a State of type S: one of the user's own commands,
// kept by a System. Apply changes *state and returns nil, or returns an
// error and leaves *state unchanged: a command that fails is not journaled.
//
// A System journals each command that succeeds and replays it at every Open
// after the last snapshot, so Apply must be deterministic: given the same
// state and the same command it must make the same change, every time, in
// every process. Concretely:
//
//   - no I/O, no clock, no randomness: read time.Now or generate a token
//     before Commit and pass it in the command;
//   - no reading of globals or anything outside state and the command;
//   - no iteration over a Go map where the order changes the result;
//   - no goroutines, no blocking, nothing slow: Apply runs in the owner
//     goroutine and every other request waits for it;
//   - no keeping of references into the command or the state after Apply
//     returns.
//
// The command is applied as it reads back from its CBOR encoding (Commit
// encodes it and decodes a copy), so fields CBOR does not encode (such as
// unexported ones) are zero when Apply runs, exactly as in a replay.
//
// A journaled command that fails or panics when it is replayed (because
// Apply changed between versions, say) makes OpenSystem fail with
// ErrCorrupt naming its record. Check and Repair cannot see that, since
// they cannot decode commands: keep Apply able to replay what it once
// accepted, or take a snapshot with the old version before upgrading.
type Command[S any] interface {
	Apply(state *S) error
}

// System is a prevalent system, after Prevayler: the user's State held in
// memory by one owner goroutine and changed only by Commands, each of
// which is journaled (CBOR) before it is acknowledged, and replayed at the
// next Open after the newest snapshot of the State. Queries run a function
// against the State in the owner goroutine, with no locks. It is the same
// engine as DB's: a DB is a System whose State is a map and whose Commands
// are its sets and deletes.
//
// The State must round-trip through CBOR (exported fields; see Set for what
// CBOR encodes): snapshots encode it. A snapshot encodes the whole State in
// the owner goroutine, so requests wait while it does; for a large State
// take snapshots when a pause is acceptable, or raise SnapshotThreshold.
// Options apply as to Open; MaxValueSize bounds an encoded command.
//
// A System has no expiry (TTL, Deadline) yet: a State that must forget
// things does it with a Command carrying the time (see
// examples/prevalent), which replays the same way.
//
// A System is safe for concurrent use by multiple goroutines.
type System[S any, C Command[S]] struct {
	handle[C, func(*S), struct{}]
	m *sysMachine[S, C] // touch it only in functions the owner runs
}

// OpenSystem opens the System kept in dir, as Open opens a DB: it restores
// the newest snapshot of the State and replays the commands journaled after
// it. Without a snapshot the State starts as initial() (or the zero S if
// initial is nil). An empty dir opens a memory-only System.
//
// A directory holds one kind of store. OpenSystem marks a new directory as
// a System's (an empty file named SYSTEM), Open refuses it with ErrBadDir,
// and OpenSystem refuses a key-value store's directory the same way. Open
// a System's directory always with the same S and C.
func OpenSystem[S any, C Command[S]](dir string, initial func() S, opts *Options) (*System[S, C], error) {
	o, err := opts.resolve(dir != "")
	if err != nil {
		return nil, err
	}
	if _, ok := o.Codec.(CBORCodec); !ok {
		return nil, fmt.Errorf("%w: Codec %s: a System's commands and State are CBOR", ErrInvalidOptions, o.Codec.Name())
	}
	sys := newSystem[S, C](initial, o, dir)
	if dir != "" {
		if _, err := valueEnc.Marshal(&sys.m.state); err != nil {
			return nil, fmt.Errorf("%w: the state %T cannot be snapshotted: %w", ErrEncode, sys.m.state, err)
		}
	}
	if err := sys.start(dir, markSystem); err != nil {
		return nil, err
	}
	return sys, nil
}

// newSystem returns a System with the options o, its State initial() (or
// the zero S), journaled in dir if it is not empty. Its engine has not
// started.
func newSystem[S any, C Command[S]](initial func() S, o Options, dir string) *System[S, C] {
	sys := &System[S, C]{m: &sysMachine[S, C]{}}
	sys.m.poisoned = &sys.poisoned
	sys.m.log = o.Logger
	if initial != nil {
		sys.m.state = initial()
	}
	sys.init(store.New[C, func(*S), struct{}](sys.m, Decode[C], 0), o, dir)
	return sys
}

// Commit applies c in the owner goroutine and returns once it is
// acknowledged at the System's Durability. If c.Apply returns an error,
// Commit returns it and nothing is journaled. If it panics, Commit returns
// an error wrapping ErrPanic (a *PanicError) and ErrPoisoned, and so does
// every later call until the System is reopened. A command CBOR cannot
// encode, or that does not decode back into a C, returns ErrEncode, and one
// whose encoding passes MaxValueSize returns ErrTooLarge; neither is
// applied.
func (sys *System[S, C]) Commit(ctx context.Context, c C) error {
	if err := sys.check(); err != nil {
		return err
	}
	var data []byte
	if sys.journaled {
		var err error
		if data, err = encode(c); err != nil {
			return err
		}
		if err := sys.opts.checkSize("command", len(data)); err != nil {
			return err
		}
		// Apply what a replay will apply.
		if c, err = Decode[C](data); err != nil {
			return fmt.Errorf("%w: %w", ErrEncode, err)
		}
	}
	_, err := sys.eng.Update(ctx, c, data, sys.level)
	return sys.err(err)
}

// Query runs f against the State in the owner goroutine and returns what
// it returns. f must only read the State, must be quick (other requests
// wait for it), must not call the System, and must not return references
// into the State that the caller then reads: later commands change it.
// Copy what you need. A panic in f returns an error wrapping ErrPanic and
// leaves the System usable.
func Query[S any, C Command[S], R any](ctx context.Context, sys *System[S, C], f func(state *S) R) (R, error) {
	var r R
	var perr error
	if err := sys.check(); err != nil {
		return r, err
	}
	_, err := sys.eng.Query(ctx, func(s *S) {
		if perr = sys.m.poison(); perr != nil {
			return
		}
		perr = catch(func() error { r = f(s); return nil })
	})
	if err != nil {
		var zero R
		return zero, sys.err(err)
	}
	if perr != nil {
		var zero R
		return zero, perr
	}
	return r, nil
}

// sysMachine is the store.Machine of a System: the user's State and its
// commands.
type sysMachine[S any, C Command[S]] struct {
	state S
	// poisoned is the System's: set here once a command panicked, read
	// by every call.
	poisoned *atomic.Pointer[error]
	log      *slog.Logger // Options.Logger, told when the System is poisoned
}

// poison returns the error that poisoned the System, or nil.
func (m *sysMachine[S, C]) poison() error {
	if p := m.poisoned.Load(); p != nil {
		return *p
	}
	return nil
}

// Apply implements store.Machine.
func (m *sysMachine[S, C]) Apply(c C) (struct{}, bool, error) {
	if err := m.poison(); err != nil {
		return struct{}{}, false, err
	}
	err := catch(func() error { return c.Apply(&m.state) })
	var pe *PanicError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%w: %w", ErrPoisoned, pe)
		m.poisoned.Store(&err)
		logPoisoned(m.log, err)
		return struct{}{}, false, err
	}
	return struct{}{}, err == nil, err
}

// Query implements store.Machine.
func (m *sysMachine[S, C]) Query(q func(*S)) struct{} {
	q(&m.state)
	return struct{}{}
}

// Freeze implements store.Snapshotter: it encodes the whole State now, in
// the owner goroutine.
func (m *sysMachine[S, C]) Freeze() (store.Image, func(), error) {
	if err := m.poison(); err != nil {
		return nil, nil, err
	}
	var b []byte
	err := catch(func() (err error) {
		if b, err = valueEnc.Marshal(&m.state); err == nil { // may run the user's MarshalCBOR
			err = tooDeep(b) // a snapshot that Open could not read
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: state %T: %w", ErrEncode, m.state, err)
	}
	return stateImage(b), func() {}, nil
}

// Restore implements store.Snapshotter.
func (m *sysMachine[S, C]) Restore(n int, records func(yield func(key, value []byte) bool)) error {
	if n != 1 {
		return fmt.Errorf("a state snapshot holds one record, not %d", n)
	}
	var s S
	for _, v := range records {
		if err := valueDec.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("%w: state %T: %w", ErrDecode, s, err)
		}
	}
	m.state = s
	return nil
}

// stateImage is the image of a State: its encoding, as one record.
type stateImage []byte

// Len implements store.Image.
func (s stateImage) Len() int { return 1 }

// All implements store.Image.
func (s stateImage) All(yield func(string, []byte) bool) { yield("", s) }
