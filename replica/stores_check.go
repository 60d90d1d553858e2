package replica

import (
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

// inspect checks the log file at path before raft-boltdb opens it for
// writing, and returns the identity it records (keys clusterKey and
// nodeKey of the stable store; nil values if it records none, or if the
// file does not exist). It opens the file read-only, which writes
// nothing, and refuses, with ErrCorruptDir, a file shorter than its
// pages say or whose pages do not hold together: it reads every page of
// both buckets. bbolt panics on a damaged page, and faults on a page past
// the end of a file: inspect turns both into errors (in this goroutine,
// for this call), so that raft's goroutines, which would crash the
// process on them, are never handed such a file. (It does not load the
// freelist: a damaged freelist page makes raft-boltdb's open panic, which
// openBolt turns into ErrCorruptDir, but bbolt then keeps the file open
// and locked: a retry in this process returns ErrDirInUse.)
func inspect(path string) (id map[string][]byte, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replica: open stores: %w", err)
	}
	if fi.Size() == 0 { // a power cut as bbolt made it: a new store
		return nil, emptyLog(path)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			id, err = nil, fmt.Errorf("%w: %s: %v", ErrCorruptDir, path, p)
		}
	}()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	switch {
	case errors.Is(err, bbolt.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, path)
	case err != nil:
		return nil, openError(path, err)
	}
	defer db.Close()
	id = map[string][]byte{}
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
				if name[0] == confBucket[0] {
					id[string(k)] = append([]byte(nil), v...)
				}
			}
		}
		return nil
	})
	return id, err
}

// emptyLog accepts an empty log file as a new store (bbolt makes it
// before it writes its first pages), unless snapshots lie beside it: then
// the log was lost, and the directory is damaged.
func emptyLog(path string) error {
	snaps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "snapshots", "*", "meta.json"))
	if len(snaps) > 0 {
		return fmt.Errorf("%w: %s is empty, but the directory holds snapshots", ErrCorruptDir, path)
	}
	return nil
}

// checkSnapshots refuses, with ErrCorruptDir, stores whose log has been
// compacted (it starts after index 1) but whose newest snapshot that
// reads whole (raft checks its CRC as it opens it, as here) ends before
// the log begins: raft would restore it, then fail to read the entries
// between it and the log, and crash the process. It opens snapshots
// newest first, as raft does at start, so it reads the one raft will use.
func checkSnapshots(log raft.LogStore, snaps raft.SnapshotStore) error {
	first, err := log.FirstIndex()
	if err != nil {
		return fmt.Errorf("%w: log: %w", ErrCorruptDir, err)
	}
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
