package hurrah

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// OpenBackup opens a memory-only store (as Open("", opts) does) holding
// the state of the DB backup r holds, and returns it with the LSN the
// backup holds the state at. It checks the backup as Restore does, every
// checksum before anything is loaded: a damaged or truncated one returns
// ErrCorrupt, one of a newer format ErrVersion, the backup of a System
// ErrBadInput; nothing is opened then. It touches no disk: the backup is
// unpacked in memory, so while it loads it takes about twice the memory
// of the store it holds. It is for a caller that keeps its own log (the
// raft replica, installing a snapshot); opts must give no durability but
// MemoryOnly. If ctx ends first it returns ctx's error.
func OpenBackup(ctx context.Context, r io.Reader, opts *Options) (*DB, uint64, error) {
	o, err := opts.resolve(false)
	if err != nil {
		return nil, 0, err
	}
	db := newDB(o, "")
	lsn, err := db.load(ctx, r, false)
	if err != nil {
		return nil, 0, err
	}
	return db, lsn, nil
}

// load loads the backup r holds, of a System if system is set or else of
// a DB, into h's engine, which has not started, and starts it with no
// journal. It returns the backup's LSN.
func (h *handle[C, Q, R]) load(ctx context.Context, r io.Reader, system bool) (uint64, error) {
	mem := vfs.NewMem()
	const dir = "backup"
	rep, err := Restore(ctx, dir, r, &RestoreOptions{fs: mem})
	if err != nil {
		return 0, err
	}
	if rep.System != system {
		kind := map[bool]string{false: "DB", true: "System"}
		return 0, fmt.Errorf("%w: the backup of a %s, not of a %s", ErrBadInput, kind[rep.System], kind[system])
	}
	// Load the unpacked snapshot as Open would from dir, then run with
	// no journal. The journal opened in mem is thrown away with mem.
	fs := h.opts.fs
	h.opts.fs = mem
	j, _, _, err := h.openJournal(dir)
	h.opts.fs = fs
	if err != nil {
		return 0, err
	}
	if err := j.Close(); err != nil {
		return 0, err
	}
	h.eng.Start(nil, actor.Options{Mailbox: h.opts.MailboxSize, MaxDrain: h.opts.MaxDrain})
	return rep.LSN, nil
}
