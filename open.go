package hurrah

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"syscall"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
	"github.com/hurrahdb/hurrah/store"
)

// Recovery says what Open found on disk.
type Recovery struct {
	// Segments is the number of journal segment files read.
	Segments int
	// Records is the number of journal records replayed.
	Records uint64
	// LastLSN is the sequence number of the last record replayed.
	LastLSN uint64
	// TornTail, when not nil, describes an incomplete tail that was cut
	// from the newest segment: the remains of writes that were never
	// acknowledged as synced. Its bytes were saved aside, not destroyed.
	TornTail *TornTail
	// Snapshot is the path of the snapshot the store was restored from,
	// or "" if none; SnapshotLSN is the LSN it was taken at, and
	// SnapshotKeys the number of keys it held.
	Snapshot     string
	SnapshotLSN  uint64
	SnapshotKeys int
	// SkippedSnapshots lists the snapshots, newest first, that failed
	// their checks and were passed over for an older one (the journal
	// still covered the gap). Each error wraps ErrCorrupt and names the
	// file; the files are left in place.
	SkippedSnapshots []error
}

// TornTail describes a torn tail cut off during recovery: the segment, the
// offset of the cut, how many bytes were cut, and the file they were saved
// to.
type TornTail = journal.SetAside

// init sets h up for a store run by eng with the options o, journaled if
// it has a directory. The engine has not started.
func (h *handle[C, Q, R]) init(eng *store.Engine[C, Q, R], o Options, dir string) {
	h.eng, h.opts, h.level, h.journaled = eng, o, ackLevel(o.Durability), dir != ""
}

// ackLevel returns the level at which the owner acknowledges writes at d.
func ackLevel(d Durability) store.Level {
	switch d {
	case Written:
		return store.AckWritten
	case Synced:
		return store.AckSynced
	}
	return store.AckApplied
}

// start starts h's engine, memory-only if dir is empty, or else over the
// journal and snapshots in dir, restoring the newest snapshot there and
// replaying the journal after it first. mark checks, before anything is
// written, that dir holds the kind of store being opened (see marker.go).
func (h *handle[C, Q, R]) start(dir string, mark func(vfs.FS, string) error) error {
	o := h.opts
	aopts := actor.Options{Mailbox: o.MailboxSize, MaxDrain: o.MaxDrain}
	if dir == "" {
		h.eng.Start(nil, aopts)
		return nil
	}
	if err := checkDir(o.fs, dir); err != nil {
		return err
	}
	if err := mark(o.fs, dir); err != nil {
		return err
	}
	j, rep, keys, err := h.openJournal(dir)
	if err != nil {
		return err
	}
	h.snaps = &diskSnapshots{j: j, fs: o.fs, dir: dir, keep: o.KeepSnapshots}
	h.eng.SetSnapshots(h.snaps, store.SnapshotPolicy{
		Threshold: o.SnapshotThreshold,
		LastSize:  rep.SnapshotSize,
		LastLSN:   rep.Snapshot.LSN,
		OnFail:    snapshotFailed(o.Logger, dir),
	})
	h.eng.Start(j, aopts)
	h.recovery = Recovery{
		Segments: rep.Segments, Records: rep.Entries, LastLSN: rep.LastLSN, TornTail: rep.Torn,
		Snapshot: rep.Snapshot.Path, SnapshotLSN: rep.Snapshot.LSN, SnapshotKeys: keys,
		SkippedSnapshots: rep.Skipped,
	}
	logOpen(o.Logger, dir, h.recovery, rep.TempsRemoved)
	return nil
}

// openJournal opens the journal in dir, restoring the newest snapshot into
// h's engine and replaying the records after it. It returns the journal,
// its report and the number of keys the snapshot held.
func (h *handle[C, Q, R]) openJournal(dir string) (*journal.Journal, journal.Report, int, error) {
	o := h.opts
	// Restoring and replaying only grow the heap: see replaygc.go. Deferred,
	// so that every way out (an error, a panic) ends the hold.
	defer replayGC.relax(replayGCPercent)()
	keys, restored := 0, false
	hint, err := replayHint(o.fs, dir)
	if err != nil {
		return nil, journal.Report{}, 0, dirErr("open", dir, err)
	}
	reserved := 0 // the keys the map was sized for, if it was
	replay := func(en handoff.Entry) error {
		if hint > 0 && !restored {
			h.eng.Reserve(hint) // see replayHint
			reserved = hint
		}
		hint = 0
		return h.eng.Replay(en)
	}
	j, rep, err := journal.Open(o.fs, dir, journal.Options{
		SyncInterval: o.SyncInterval,
		SegmentSize:  o.SegmentSize,
		Mailbox:      o.MailboxSize,
		MaxDrain:     o.MaxDrain,
		Events:       journalEvents(o, dir),
		Peek:         h.eng.Peek, // see store/prefetch.go
		Restore: func(s *journal.Snapshot) error {
			keys, restored = int(min(s.Count, math.MaxInt)), true
			return restore(h.eng, s)
		},
	}, replay)
	if err != nil {
		return nil, rep, 0, dirErr("open", dir, err)
	}
	h.eng.Fit(reserved) // an estimate far too high gives its room back
	if next := j.NextLSN(); next != h.eng.LastLSN()+1 {
		j.Close()
		return nil, rep, 0, fmt.Errorf("%w: journal continues at LSN %d but replay ended at %d", ErrCorrupt, next, h.eng.LastLSN())
	}
	return j, rep, keys, nil
}

// checkDir checks that dir is a directory or does not exist yet.
func checkDir(fsys vfs.FS, dir string) error {
	switch fi, err := fsys.Stat(dir); {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("%w: %s: %w", ErrBadDir, dir, syscall.ENOTDIR)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return dirErr("open", dir, err) // the journal would meet it later, or hide it
	}
	return nil
}

// restore restores eng from s, the snapshot the journal chose. The engine's
// machine judges the records (a key-value store's refuses the empty key).
func restore[C, Q, R any](eng *store.Engine[C, Q, R], s *journal.Snapshot) error {
	return restoreRecords(eng, s.LSN, s.Count, s.Deadlines, s.RecordsAt)
}

// restoreRecords restores eng to the state at lsn of the count records
// records yields, with their deadlines if deadlines is set: a snapshot
// file's (restore) or a backup's, as it streams (OpenBackup).
func restoreRecords[C, Q, R any](eng *store.Engine[C, Q, R], lsn, count uint64, deadlines bool, records func(yield func([]byte, journal.Value) bool)) error {
	if count > uint64(math.MaxInt) {
		return fmt.Errorf("snapshot of %d records", count)
	}
	if deadlines {
		return eng.RestoreAt(lsn, int(count), func(yield func(k, v []byte, at int64) bool) {
			for k, r := range records {
				if !yield(k, r.Value, r.At) {
					return
				}
			}
		})
	}
	return eng.Restore(lsn, int(count), func(yield func(k, v []byte) bool) {
		for k, r := range records {
			if !yield(k, r.Value) {
				return
			}
		}
	})
}

// dirErr classifies an error from opening, checking or repairing the
// journal in dir, so that errors.Is finds the sentinel that fits.
func dirErr(op, dir string, err error) error {
	switch {
	case errors.Is(err, ErrLocked), errors.Is(err, ErrCorrupt), errors.Is(err, ErrVersion):
		return err
	case errors.Is(err, store.ErrBadEntry), errors.Is(err, store.ErrLSNGap):
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, dir, err)
	case badPath(err):
		return fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	return fmt.Errorf("hurrah: %s %s: %w", op, dir, err)
}

// badPath reports whether err says that a path cannot be a store's
// directory or a file in it: not a directory, no permission, a read-only
// file system, an invalid path (a NUL byte), a name or path too long, a
// loop of symbolic links, or a directory where a file should be.
func badPath(err error) bool {
	for _, e := range [...]error{
		syscall.ENOTDIR, fs.ErrPermission, syscall.EROFS, syscall.EINVAL,
		syscall.ENAMETOOLONG, syscall.ELOOP, syscall.EISDIR,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
