package hurrah

import (
	"context"
	"fmt"
	"io"

	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// Backup writes the view to w in hurrah's backup format, as DB.Backup
// writes the store, with lsn in its header as the position the state is
// at: Restore opens the store at it. It is for a caller that numbers the
// state itself (the replica module writes its raft index) and that needs
// the state frozen at one moment but written later, in another goroutine,
// while writers go on: take the View at that moment, call Backup when
// ready. Unlike DB.Backup it does not sync the journal first, so the state
// may hold writes a crash of a store on disk would lose. Keys' deadlines
// are kept. If ctx ends first, or after Close, what w received is not a
// backup Restore accepts.
func (v *View) Backup(ctx context.Context, w io.Writer, lsn uint64) error {
	if err := v.check(); err != nil {
		return err
	}
	var deadline func(string) int64
	if v.img.HasDeadlines() {
		deadline = v.img.Deadline
	}
	return writeBackup(ctx, w, backupKV, lsn, store.Image(v.img), deadline, v.check)
}

// writeBackup writes img to w as a backup of the kind given, at lsn, with
// the deadlines deadline gives (nil: none). check, if not nil, runs before
// the trailer is written: its error says the image may be gone.
func writeBackup(ctx context.Context, w io.Writer, kind uint32, lsn uint64, img store.Image, deadline func(string) int64, check func() error) error {
	create := journal.NewBackupWriterDeadlines
	if deadline == nil {
		create, deadline = journal.NewBackupWriter, noDeadline
	}
	bw, err := create(w, kind, lsn, uint64(img.Len()))
	if err != nil {
		return fmt.Errorf("hurrah: backup: %w", err)
	}
	if err := addAll(ctx, bw, img, deadline, func(uint64) {}); err != nil {
		return err
	}
	if check != nil {
		if err := check(); err != nil {
			return err // closed while it was written: the image may be gone
		}
	}
	if _, err := bw.Close(); err != nil {
		return fmt.Errorf("hurrah: backup: %w", err)
	}
	return nil
}
