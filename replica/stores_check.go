package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/hashicorp/raft"
	"go.etcd.io/bbolt"
)

// The buckets raft-boltdb keeps: the log, and the stable store.
var (
	logsBucket = []byte("logs")
	confBucket = []byte("conf")
)

// logFound is what inspect found in a log file.
type logFound struct {
	id    map[string][]byte // the stable store's keys and values
	first uint64            // the log's first index; 0 if it is empty
}

// inspect checks the log file at path before raft-boltdb opens it for
// writing, and returns the identity it records (keys clusterKey and nodeKey
// of the stable store; nil values if it records none, or if the file does not
// exist) and the log's first index. It opens the file read-only, which writes
// nothing, and refuses, with ErrCorruptDir, a file shorter than its pages say
// or whose pages do not hold together (it reads every page of both buckets),
// and a missing or empty one beside snapshots. bbolt panics on a damaged
// page, and faults on a page past the end of a file: inspect turns both into
// errors (in this goroutine, for this call), so that raft's goroutines, which
// would crash the process on them, are never handed such a file. (It does not
// load the freelist: a damaged freelist page makes raft-boltdb's open panic,
// which openBolt turns into ErrCorruptDir, but bbolt then keeps the file open
// and locked: a retry in this process returns ErrDirInUse.)
func inspect(path string) (found logFound, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return found, lostLog(path, "missing")
	}
	if err != nil {
		return found, fmt.Errorf("replica: open stores: %w", err)
	}
	if fi.Size() == 0 { // a power cut as bbolt made it: a new store
		return found, lostLog(path, "empty")
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			found, err = logFound{}, fmt.Errorf("%w: %s: %v", ErrCorruptDir, path, p)
		}
	}()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	switch {
	case errors.Is(err, bbolt.ErrTimeout):
		return found, fmt.Errorf("%w: %s", ErrDirInUse, path)
	case err != nil:
		return found, openError(path, err)
	}
	defer db.Close()
	found.id = map[string][]byte{}
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: %s is %d bytes, its pages %d", ErrCorruptDir, path, fi.Size(), tx.Size())
		}
		for _, name := range [][]byte{logsBucket, confBucket} {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				switch {
				case name[0] == confBucket[0]:
					found.id[string(k)] = append([]byte(nil), v...)
				case found.first == 0 && len(k) == 8: // raft-boltdb's keys: big-endian indexes
					found.first = binary.BigEndian.Uint64(k)
				}
			}
		}
		return nil
	})
	return found, err
}

// lostLog accepts a missing or empty (how says which) log file as a new
// store (bbolt makes the file before it writes its first pages), unless
// snapshots lie beside it: then the log was lost, with the entries after
// the snapshot and the node's term and vote, and the directory is
// damaged. (Only a wipe and a rejoin bring such a node back safely.)
func lostLog(path, how string) error {
	snaps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "snapshots", "*", "meta.json"))
	if len(snaps) > 0 {
		return fmt.Errorf("%w: %s is %s, but the directory holds snapshots", ErrCorruptDir, path, how)
	}
	return nil
}

// lostSnapshots refuses, with ErrCorruptDir, a log compacted past its
// start (its first index, first, is past 1) beside no snapshots/
// directory, before raft's snapshot store would make an empty one: the
// refused directory is left as it was. (checkSnapshots refuses it too,
// once the store is open.)
func lostSnapshots(dir string, first uint64) error {
	if first <= 1 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "snapshots")); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: the log starts at index %d, and %s/snapshots is missing", ErrCorruptDir, first, dir)
	}
	return nil
}

// checkSnapshots refuses, with ErrCorruptDir, stores whose log has been
// compacted (its first index, first, is past 1) but whose newest snapshot that
// reads whole (raft checks its CRC as it opens it, as here) ends before
// the log begins: raft would restore it, then fail to read the entries
// between it and the log, and crash the process. It opens snapshots
// newest first, as raft does at start, so it reads the one raft will use.
func checkSnapshots(first uint64, snaps raft.SnapshotStore) error {
	metas, err := snaps.List()
	if err != nil {
		return fmt.Errorf("%w: snapshots: %w", ErrCorruptDir, err)
	}
	for _, m := range metas {
		_, rc, err := snaps.Open(m.ID)
		if err != nil {
			continue // raft, too, skips it
		}
		rc.Close()
		if len(m.Configuration.Servers) == 0 { // meta.json has no checksum
			return fmt.Errorf("%w: snapshot %s names no servers", ErrCorruptDir, m.ID)
		}
		if first > 1 && m.Index+1 < first {
			break
		}
		return nil
	}
	if first <= 1 && len(metas) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the log starts at index %d, and no whole snapshot reaches it (%d listed)",
		ErrCorruptDir, first, len(metas))
}

// openError classifies an error of bbolt's open: one the file system
// gives for what a retry or an operator can cure (permissions, an I/O
// error, a full or read-only disk, too many open files) as it is,
// anything else (bbolt found the file is not a database it can read, or
// its pages led it astray, say to a write past the largest file) as
// ErrCorruptDir. So ErrCorruptDir means the bytes are bad.
func openError(path string, err error) error {
	for _, cure := range []error{fs.ErrPermission, syscall.EIO, syscall.ENOSPC, syscall.EROFS,
		syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM} {
		if errors.Is(err, cure) {
			return fmt.Errorf("replica: open %s: %w", path, err)
		}
	}
	return fmt.Errorf("%w: %s: %w", ErrCorruptDir, path, err)
}
