package hurrah

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/store"
)

// SystemImage is a System's State as it was at one moment, encoded, to be
// written as a backup later: see System.Image. It is for a caller that
// numbers the state itself (the replica module, whose raft snapshot is
// taken at once and written later, in another goroutine, while commands
// go on). It holds no reference into the System and needs no Close.
type SystemImage struct {
	img store.Image
}

// Image returns the State as it is when the System takes the request.
// Like a snapshot, it encodes the whole State in the owner goroutine (see
// System), so requests wait while it does. A poisoned System returns its
// poisoning error, and a State CBOR cannot encode ErrEncode.
func (sys *System[S, C]) Image(ctx context.Context) (*SystemImage, error) {
	if err := sys.check(); err != nil {
		return nil, err
	}
	f, err := sys.eng.Freeze(ctx)
	if err != nil {
		return nil, sys.err(err)
	}
	// A System's image is its encoding, which nothing else holds:
	// releasing it frees nothing in the owner, and the image stays valid.
	f.Release()
	return &SystemImage{img: f.Image}, nil
}

// Backup writes the image to w in hurrah's backup format, as a System's
// Backup writes it, with lsn in its header as the position the state is
// at: Restore then opens the System at it, and OpenSystemBackup opens it
// in memory. If ctx ends first, what w received is not a backup Restore
// accepts. It may be called any number of times, from any goroutine.
func (i *SystemImage) Backup(ctx context.Context, w io.Writer, lsn uint64) error {
	return writeBackup(ctx, w, backupSystem, lsn, i.img, nil, nil)
}

// OpenSystemBackup opens a memory-only System (as OpenSystem("", nil,
// opts) does) holding the State the System backup r holds, and returns it
// with the LSN the backup holds the State at. It checks the backup as
// OpenBackup does, every checksum before it returns the System: a damaged
// or truncated one returns ErrCorrupt, one of a newer format ErrVersion,
// the backup of a DB ErrBadInput, a State that does not decode into an S
// ErrCorrupt; nothing is opened then. It touches no disk and makes no
// copy of the backup. If ctx ends first it returns ctx's error. It is for a caller that keeps its own log (the replica module,
// installing a raft snapshot); opts must give no durability but
// MemoryOnly.
func OpenSystemBackup[S any, C Command[S]](ctx context.Context, r io.Reader, opts *Options) (*System[S, C], uint64, error) {
	o, err := opts.resolve(false)
	if err != nil {
		return nil, 0, err
	}
	if _, ok := o.Codec.(CBORCodec); !ok {
		return nil, 0, fmt.Errorf("%w: Codec %s: a System's commands and State are CBOR", ErrInvalidOptions, o.Codec.Name())
	}
	sys := newSystem[S, C](nil, o, "")
	lsn, err := sys.load(ctx, r, true)
	if err != nil {
		return nil, 0, err
	}
	return sys, lsn, nil
}
