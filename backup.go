package hurrah

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// The kinds of store a backup holds (journal/backup_format.go): the
// directory a System's backup is restored to gets the SYSTEM marker.
const (
	backupKV     uint32 = 1
	backupSystem uint32 = 2
)

// BackupProgress is how far a backup (BackupDir) or a restore (Restore)
// has got, as its progress callback is told: every few thousand records
// (for a backup, or every MiB of values, if sooner) and once at the end.
// Records counts the keys of a DB; a System's State is one record.
type BackupProgress struct {
	Records uint64 // records written or read so far
	Total   uint64 // records in the backup
	Bytes   int64  // bytes of the backup written or read so far
}

// Backup writes a backup of the whole store to w and returns the LSN it
// holds the state at. The state is the one the store is in when it takes
// the request, frozen as for a snapshot: writers go on while it is
// written, and nothing of theirs is in it. No snapshot file is written and
// the journal is left as it is.
//
// A backup is a stream in hurrah's backup format: a short header saying
// whether it is of a DB or of a System, then the image in the snapshot
// file format, checksummed and versioned (see journal/backup_format.go).
// Restore makes a new store directory from it; the backup of a System
// restores to a directory OpenSystem opens.
//
// Backup returns once the backup is written and the journal is durable up
// to its LSN: it never holds a state that a crash of the store would lose.
// (It writes the backup's trailer, without which Restore refuses it, only
// once the journal is durable.) A memory-only store backs up too, at LSN
// 0, since it numbers no writes; restored, it is a store on disk. Backup
// does not sync or close w. If ctx ends first, it returns ctx's error, and
// what w received is not a backup Restore accepts. A Close while a backup
// is being written does not wait for it, nor stop it: the backup completes
// (if Close succeeded, the journal is durable up to its LSN).
func (h *handle[C, Q, R]) Backup(ctx context.Context, w io.Writer) (lsn uint64, err error) {
	return h.backup(ctx, w, nil)
}

// backup is Backup, with progress called as BackupProgress says, if not
// nil.
func (h *handle[C, Q, R]) backup(ctx context.Context, w io.Writer, progress func(BackupProgress)) (uint64, error) {
	if err := h.check(); err != nil {
		return 0, err
	}
	f, err := h.eng.Freeze(ctx)
	if err != nil {
		return 0, h.err(err)
	}
	defer f.Release()
	// The journal syncs while the image is written.
	sctx, cancel := context.WithCancel(ctx)
	synced := make(chan error, 1)
	go func() { synced <- h.eng.Sync(sctx) }()
	waited := false
	defer func() {
		cancel()
		if !waited {
			<-synced
		}
	}()
	create, deadline := journal.NewBackupWriter, noDeadline
	if di, ok := f.Image.(store.KVImage); ok && di.HasDeadlines() {
		create, deadline = journal.NewBackupWriterDeadlines, di.Deadline
	}
	bw, err := create(w, h.backupKind(), f.LSN, uint64(f.Image.Len()))
	if err != nil {
		return 0, fmt.Errorf("hurrah: backup: %w", err)
	}
	report := func(done uint64) {
		if progress != nil {
			progress(BackupProgress{Records: done, Total: uint64(f.Image.Len()), Bytes: bw.Written()})
		}
	}
	if err := addAll(ctx, bw, f.Image, deadline, report); err != nil {
		return 0, err
	}
	waited = true
	if err := h.synced(<-synced); err != nil {
		return 0, fmt.Errorf("hurrah: backup at LSN %d: the journal did not sync: %w", f.LSN, err)
	}
	if _, err := bw.Close(); err != nil {
		return 0, fmt.Errorf("hurrah: backup: %w", err)
	}
	report(uint64(f.Image.Len()))
	return f.LSN, nil
}

// synced returns the error of a backup's Sync, err. If the store was closed
// meanwhile, the Sync may have come too late, but Close wrote and fsynced
// all the journal held: the backup is durable if Close succeeded. (Close
// is idempotent: this waits for the Close under way and returns its
// result.)
func (h *handle[C, Q, R]) synced(err error) error {
	if errors.Is(err, store.ErrClosed) {
		err = h.eng.Close()
	}
	return h.err(err)
}

// addAll adds every record of img to bw, looking at ctx and calling report
// every checkEvery records or progressBytes of values, whichever comes
// first (by records alone, a backup of big values would not stop);
// deadline gives each record's deadline.
func addAll(ctx context.Context, bw *journal.BackupWriter, img store.Image, deadline func(string) int64, report func(done uint64)) (err error) {
	var i uint64
	since := 0 // bytes of values since the last look at ctx
	for k, v := range img.All {
		if err = bw.AddAt(k, v, deadline(k)); err != nil {
			return fmt.Errorf("hurrah: backup: %w", err)
		}
		since += len(v)
		if i++; i%checkEvery == 0 || since >= progressBytes {
			since = 0
			if err = ctx.Err(); err != nil {
				return err
			}
			report(i)
		}
	}
	return nil
}

// backupKind returns the kind of store h runs: a DB's engine is the one
// over the key-value machine's types, which no System's can be (its
// queries are functions).
func (h *handle[C, Q, R]) backupKind() uint32 {
	if _, ok := any(h.eng).(*store.Engine[store.Command, store.Query, store.Result]); ok {
		return backupKV
	}
	return backupSystem
}
