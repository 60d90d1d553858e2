package hurrah

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/store"
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
	mem := vfs.NewMem()
	const dir = "backup"
	rep, err := Restore(ctx, dir, r, &RestoreOptions{fs: mem})
	if err != nil {
		return nil, 0, err
	}
	if rep.System {
		return nil, 0, fmt.Errorf("%w: the backup of a System, not of a DB", ErrBadInput)
	}
	kv := store.NewKV(0)
	db := &DB{kv: kv, clock: o.expiryClock()}
	kv.SetClock(db.clock, o.clock == nil)
	db.init(store.NewKVEngine(kv), o, "")
	// Load the unpacked snapshot as Open would from dir, then run with
	// no journal. The journal opened in mem is thrown away with mem.
	db.opts.fs = mem
	j, _, _, err := db.openJournal(dir)
	db.opts.fs = o.fs
	if err != nil {
		return nil, 0, err
	}
	if err := j.Close(); err != nil {
		return nil, 0, err
	}
	db.eng.Start(nil, actor.Options{Mailbox: o.MailboxSize, MaxDrain: o.MaxDrain})
	return db, rep.LSN, nil
}
