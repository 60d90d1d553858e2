package hurrah

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hurrahdb/hurrah/journal"
)

// Errors returned by hurrah. Check them with errors.Is: most arrive wrapped
// with details. (This list and journal/errors.go share a shape, a comment
// and an errors.New per sentinel: that is the idiom, not repeated logic.)
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("hurrah: store is closed")
	// ErrNotFound is returned by Get and GetBytes for a missing key.
	ErrNotFound = errors.New("hurrah: key not found")
	// ErrInvalidKey is returned for the empty key.
	ErrInvalidKey = errors.New("hurrah: invalid key")
	// ErrInvalidBatch is returned by DB.Write for a nil *Batch. Nothing
	// is written.
	ErrInvalidBatch = errors.New("hurrah: invalid batch")
	// ErrTooLarge is returned for a key or value over the configured limit
	// (Options.MaxKeySize, Options.MaxValueSize), and by Import for a line
	// over ImportOptions.MaxLineSize.
	ErrTooLarge = errors.New("hurrah: key or value too large")
	// ErrEncode is returned when the store's codec cannot encode a value
	// (a channel or a function, for instance, or a protobuf message with
	// a built-in codec). Nothing is stored.
	ErrEncode = errors.New("hurrah: cannot encode value")
	// ErrDecode is returned when the stored bytes do not decode into the
	// type asked for. The stored value is unchanged. errors.As with a
	// *DecodeError gives the key, the codec and the type.
	ErrDecode = errors.New("hurrah: cannot decode value")
	// ErrBadInput is returned by Import for a line it refuses; errors.As
	// with an *ImportError gives the line's number.
	ErrBadInput = errors.New("hurrah: bad input")
	// ErrInvalidOptions is returned by Open for options out of range.
	ErrInvalidOptions = errors.New("hurrah: invalid options")
	// ErrBadDir is returned by Open when the directory cannot be used: the
	// path is a file, or it cannot be created or written. The operating
	// system's error is wrapped too.
	ErrBadDir = errors.New("hurrah: unusable directory")
	// ErrTxDone is returned by the methods of a Tx used after its function
	// returned.
	ErrTxDone = errors.New("hurrah: transaction has ended")
	// ErrPanic is returned when a function the store ran for the caller (a
	// transaction, a Command or a query of a System) panicked. The store
	// recovered; errors.As with a *PanicError gives the panic's value and
	// stack.
	ErrPanic = errors.New("hurrah: panic in user code")
	// ErrPoisoned is returned by every call on a System after a Command
	// panicked: the panic may have left the state in memory half changed.
	// The journal holds only the commands that succeeded, so reopening the
	// System recovers a consistent state. Close still works.
	ErrPoisoned = errors.New("hurrah: a command panicked; reopen the system")
	// ErrStoreExists is returned by Restore for a directory that already
	// holds a store: a backup is restored only into a new directory (or
	// one that holds no store). Nothing is changed.
	ErrStoreExists = errors.New("hurrah: the directory already holds a store")
	// ErrNoStore is returned by BackupDir for a directory that holds no
	// store. Nothing is created.
	ErrNoStore = errors.New("hurrah: no store in the directory")
	// ErrInvalidRange is returned by the range scans and range deletes
	// for a start after the end, or a negative limit. Nothing is read or
	// changed.
	ErrInvalidRange = errors.New("hurrah: invalid key range")

	// ErrLocked is returned by Open when another open store, in this
	// process or another, holds the directory.
	ErrLocked = journal.ErrLocked
	// ErrCorrupt is returned by Open when the journal is damaged anywhere
	// but in its unsynced tail, and by Restore for a damaged or truncated
	// backup. errors.As with a *CorruptError gives the file (for a
	// backup, RestoreOptions.Name) and offset. Repair (or `hurrah repair
	// DIR`) makes such a store openable again, losing every record from
	// the damage on.
	ErrCorrupt = journal.ErrCorrupt
	// ErrVersion is returned by Open for files written by a newer version
	// of the on-disk format, and by Restore for such a backup.
	ErrVersion = journal.ErrVersion
	// ErrReadOnly is returned by writes after the journal failed to write
	// or sync: the store refuses writes until it is reopened, and reads
	// keep working. The I/O error that caused it is wrapped too.
	ErrReadOnly = journal.ErrReadOnly
	// ErrNoSpace is returned by Open when recovery ran out of disk space
	// (saving a torn tail aside, or creating the first segment). Nothing
	// was lost: the store is intact and opens once space is freed. The
	// operating system's error (syscall.ENOSPC) is wrapped too.
	ErrNoSpace = journal.ErrNoSpace

	// ErrInvalidExpiry is returned for a deadline the store cannot record: the
	// zero time.Time, or one outside the years 1678 to 2262 (a deadline is
	// kept as Unix nanoseconds). Nothing is written.
	ErrInvalidExpiry = errors.New("hurrah: invalid expiry")

	// ErrMemoryOnly is returned by Watch on a memory-only store (opened with an
	// empty directory): such a store journals nothing, so its changes carry no
	// LSN a watcher could resume from.
	ErrMemoryOnly = errors.New("hurrah: a memory-only store has no change feed")

	// ErrPublished is returned by PublishStats for a name expvar already has.
	// Nothing is published. (expvar.Publish itself panics.)
	ErrPublished = errors.New("hurrah: expvar name already published")

	// ErrCompacted is returned by a Watch asked for changes that the journal no
	// longer holds: a snapshot covers them and their segments are removed.
	// errors.As with a *CompactedError gives the oldest LSN still held; a
	// consumer that cannot resume from there starts over from the store's
	// contents (a View) and watches from the LSN after it.
	ErrCompacted = journal.ErrCompacted
)

// CompactedError details ErrCompacted: LSN is the change asked for, Oldest
// the oldest LSN the journal still holds.
type CompactedError = journal.CompactedError

// CorruptError details ErrCorrupt: the file and the byte offset of the
// damage, and what was wrong there.
type CorruptError = journal.CorruptError

// PanicError details ErrPanic.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the goroutine that panicked, where it did
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("%v: %v", ErrPanic, e.Value) }

// Unwrap makes errors.Is(err, ErrPanic) true.
func (e *PanicError) Unwrap() error { return ErrPanic }

// catch runs f, turning a panic into a *PanicError.
func catch(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return f()
}

// DecodeError details ErrDecode: which key (empty for Decode), which codec
// and which Go type a stored value failed to decode into, and the codec's
// error. Its message says what to do when the cause is likely known: a
// value stored with SetBytes is read with GetBytes, a protobuf message
// needs the protobuf codec.
type DecodeError struct {
	Key   string // the key read; empty for Decode
	Codec string // the codec's Name
	Type  string // the Go type asked for
	Err   error  // the codec's error
	hint  string // what to do instead, or ""
}

// Error implements error.
func (e *DecodeError) Error() string {
	s := ErrDecode.Error()
	if e.Key != "" {
		s += fmt.Sprintf(": key %q", e.Key)
	}
	s += fmt.Sprintf(": %s into %s: %v", e.Codec, e.Type, e.Err)
	if e.hint != "" {
		s += " (" + e.hint + ")"
	}
	return s
}

// Unwrap makes errors.Is(err, ErrDecode) true, and reaches the codec's error.
func (e *DecodeError) Unwrap() []error { return []error{ErrDecode, e.Err} }
