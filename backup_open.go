package hurrah

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/journal"
)

// OpenBackup opens a memory-only store (as Open("", opts) does) holding
// the state of the DB backup r holds, and returns it with the LSN the
// backup holds the state at. It checks the backup as Restore does, every
// byte and every checksum, before it returns the store: a damaged or
// truncated one returns ErrCorrupt, one of a newer format ErrVersion, the
// backup of a System ErrBadInput; nothing is returned then, and nothing
// it loaded is kept. It touches no disk and makes no copy of the backup:
// it loads the records into the store's map as it reads them, and checks
// the checksum of them all at the end, so it takes about the memory of
// the store it opens. It is for a caller that keeps its own log (the raft
// replica, installing a snapshot); opts must give no durability but
// MemoryOnly. If ctx ends first it returns ctx's error.
//
// The backup's header gives its count of keys, but no checksum vouches
// for it until the end: so OpenBackup sizes the map for that count up
// front only as far as the bytes can hold keys. If r has a Len() int
// method giving the bytes left to read (a bytes.Reader or bytes.Buffer
// has; the replica's reader of a raft snapshot has, from the size raft
// gives it), that is Len/2 keys, as a record takes at least 2 bytes;
// otherwise it is 1M keys, and a map for more grows as they come, which
// is slower (a replica's catch-up on 4M keys took twice as long).
func OpenBackup(ctx context.Context, r io.Reader, opts *Options) (*DB, uint64, error) {
	o, err := opts.resolve(false)
	if err != nil {
		return nil, 0, err
	}
	db := newDB(o, "")
	db.kv.LimitRestore(backupRoom(r))
	lsn, err := db.load(ctx, r, false)
	if err != nil {
		return nil, 0, err
	}
	return db, lsn, nil
}

// backupRoom returns the most keys a backup read from r is trusted to hold
// before its records are read, to size the map for: the header's count is
// checked only at the end. Every record takes at least 2 bytes, so r's
// Len, if it has one (a bytes.Reader, say), bounds it; otherwise 1M keys
// do, and a map for more grows as they come.
func backupRoom(r io.Reader) int {
	if l, ok := r.(interface{ Len() int }); ok {
		return max(l.Len()/2, 1)
	}
	return 1 << 20
}

// load loads the backup r holds, of a System if system is set or else of
// a DB, into h's engine, which has not started, and starts it with no
// journal. It returns the backup's LSN. It reads the records straight into
// the engine (journal.BackupReader.Records) and checks the whole backup
// before it starts the engine: on error the engine, never started, is let
// go with what it loaded.
func (h *handle[C, Q, R]) load(ctx context.Context, r io.Reader, system bool) (uint64, error) {
	const name = "backup"
	br, err := journal.NewBackupReader(r, name)
	if err != nil {
		return 0, err
	}
	info := br.Info()
	switch kind, err := restoreKind(name, info); {
	case err != nil:
		return 0, err
	case kind != system:
		what := map[bool]string{false: "DB", true: "System"}
		return 0, fmt.Errorf("%w: the backup of a %s, not of a %s", ErrBadInput, what[kind], what[system])
	}
	defer replayGC.relax(replayGCPercent)() // as Open's restore: see replaygc.go
	var rerr error                          // the reader's; set by the engine's goroutine, ended when Restore returns
	err = restoreRecords(h.eng, info.LSN, info.Count, info.Deadlines, func(yield func([]byte, journal.Value) bool) {
		rerr = br.Records(ctx, journal.CopyOptions{KeyRequired: !system}, func(k, v []byte, at int64) bool {
			return yield(k, journal.Value{Value: v, At: at})
		})
	})
	if rerr != nil && !errors.Is(rerr, journal.ErrStopped) {
		return 0, rerr // damage, a failed read or ctx: it explains what the engine met
	}
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrCorrupt, name, err)
	}
	h.eng.Start(nil, actor.Options{Mailbox: h.opts.MailboxSize, MaxDrain: h.opts.MaxDrain})
	return info.LSN, nil
}
