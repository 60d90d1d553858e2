package journal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Check them with errors.Is: every error this package
// returns wraps the sentinel that classifies it, and usually a cause too.
var (
	// ErrCorrupt reports a segment that does not hold a valid log (a
	// damaged record that is not a torn tail, a record whose checksums pass
	// but whose contents are invalid, or a gap in the LSN sequence) or a
	// snapshot file that fails its checks. The
	// error is a *CorruptError naming the file and offset. Open refuses
	// such a directory and changes nothing in it; Repair makes it openable
	// again, losing every record from the damage on.
	ErrCorrupt = errors.New("journal: corrupt log")

	// ErrVersion reports a segment or a snapshot written by a newer format
	// version than this package reads.
	ErrVersion = errors.New("journal: file written by a newer format version")

	// ErrLocked reports a directory another Journal holds open. The error
	// also wraps vfs.ErrLocked. Its text is for the person who reads it,
	// not about journals: the root package returns it as hurrah.ErrLocked.
	ErrLocked = errors.New("journal: the directory is locked: another process (or another Open in this one) has the store open")

	// ErrReadOnly reports a journal that has stopped writing after a failed
	// write, fsync, segment rotation or file creation. Nothing is retried
	// and nothing more is acknowledged until the directory is reopened.
	// The error also wraps its cause.
	ErrReadOnly = errors.New("journal: read-only after a failure")

	// ErrNoSpace reports that Open could not finish recovery for want of
	// disk space (saving a torn tail aside, or creating the first
	// segment). Nothing was lost: the store is intact, and Open succeeds
	// once space is freed. The error also wraps the cause (syscall.ENOSPC).
	ErrNoSpace = errors.New("journal: no space left on the device: the store is intact and opens once space is freed")

	// ErrInvalidParcel reports a parcel that breaks the hand-off contract:
	// its entries do not continue the log's LSNs without a gap, or an
	// entry is larger than MaxEntry. The journal turns read-only, since the
	// log could not stay contiguous; the error arrives wrapped in
	// ErrReadOnly.
	ErrInvalidParcel = errors.New("journal: invalid parcel")
)

// CorruptError says where a segment or a snapshot is corrupt. It matches
// ErrCorrupt.
type CorruptError struct {
	File   string // path of the segment or snapshot
	Offset int64  // offset of the damaged header or frame in the file
	Reason string // what is wrong there
	Err    error  // the underlying error, if any (such as replay's)
}

// Error implements error.
func (e *CorruptError) Error() string {
	msg := fmt.Sprintf("journal: corrupt file %s at offset %d: %s", e.File, e.Offset, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *CorruptError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
