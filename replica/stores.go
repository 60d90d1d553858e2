package replica

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// The files of a node directory (see OpenStores).
const (
	// logFile holds raft's log and its stable store (term, vote), in
	// one bbolt file.
	logFile = "raft.db"
	// retainSnapshots is how many snapshots the snapshot store keeps.
	retainSnapshots = 2
	// lockTimeout bounds the wait for another holder of the directory.
	lockTimeout = time.Second
)

// Stores are raft's stores in a node directory: what a node keeps on disk.
// OpenStores opens them; Config.Dir opens them for a Node and closes them
// with it.
type Stores struct {
	// Log is raft's log, and Stable its stable store (current term, the
	// vote, the cluster identity): one bbolt file, Dir/raft.db, written
	// with an fsync per raft round.
	Log    raft.LogStore
	Stable raft.StableStore
	// Snapshots is raft's file snapshot store under Dir/snapshots, which
	// keeps the newest two. A node running on it moves a snapshot that
	// its Restore refuses as damaged (garbled on its way as an install)
	// out to Dir/refused, which keeps the last one (see
	// snapshot_discard.go).
	Snapshots raft.SnapshotStore

	bolt *raftboltdb.BoltStore
}

// OpenStores opens (making them if need be) raft's stores in dir. The
// directory is locked while they are open: a second OpenStores of it, in
// this process or another, returns ErrDirInUse after a second. Before it
// opens the log file for writing it reads all of it: a damaged or
// truncated one, or another kind of file, returns ErrCorruptDir and is
// left as it is. Close closes them.
func OpenStores(dir string) (*Stores, error) {
	return openStores(dir, nil, identity{})
}

// openStores is OpenStores with a logger for the snapshot store (nil: one
// that logs warnings to stderr), for a node of identity w: stores that
// record another return ErrOtherCluster, untouched; those that record
// none are made to record w.
func openStores(dir string, logger hclog.Logger, w identity) (*Stores, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no directory", ErrInvalidConfig)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("replica: open stores: %w", err)
	}
	path := filepath.Join(dir, logFile)
	found, err := inspect(path)
	if err != nil {
		return nil, err
	}
	if _, err := w.missing(func(k []byte) ([]byte, error) { return found.id[string(k)], nil }); err != nil {
		return nil, err
	}
	if err := lostSnapshots(dir, found.first); err != nil {
		return nil, err // before raft's snapshot store makes snapshots/
	}
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "raft-snapshots", Level: hclog.Warn})
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, logger)
	if err != nil {
		return nil, fmt.Errorf("replica: open stores: %w", err)
	}
	// Every check before raft-boltdb opens raft.db for writing, which
	// writes to it: a refused directory is left as it was.
	if err := checkSnapshots(found.first, snaps); err != nil {
		return nil, err
	}
	b, err := openBolt(path)
	if err != nil {
		return nil, err
	}
	if err := w.claim(b); err != nil {
		b.Close()
		return nil, err
	}
	removeCutShort(dir, logger)
	return &Stores{Log: b, Stable: b, bolt: b,
		Snapshots: fileSnaps{FileSnapshotStore: snaps, dir: filepath.Join(dir, "snapshots"), logger: logger}}, nil
}

// openBolt opens raft-boltdb's store at path, which inspect has checked.
func openBolt(path string) (b *raftboltdb.BoltStore, err error) {
	defer func() { // the file changed since inspect read it
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("%w: %s: %v", ErrCorruptDir, path, p)
		}
	}()
	b, err = raftboltdb.New(raftboltdb.Options{
		Path: path, BoltOptions: &bbolt.Options{Timeout: lockTimeout},
	})
	switch {
	case errors.Is(err, bbolt.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, path)
	case err != nil:
		return nil, openError(path, err)
	}
	return b, nil
}

// Close closes the stores and unlocks the directory. It is idempotent,
// and does nothing for Stores that OpenStores did not return.
func (s *Stores) Close() error {
	if s.bolt == nil {
		return nil
	}
	return s.bolt.Close()
}

// removeCutShort removes the directories of snapshots a crash cut short
// (snapshots/*.tmp: raft's file snapshot store writes a snapshot there and
// renames it once whole, and never looks at one left behind), each as big
// as a whole snapshot. bbolt's lock on raft.db, held by now, keeps any
// other process of ours out of dir; a directory that cannot be removed is
// logged and left.
func removeCutShort(dir string, logger hclog.Logger) {
	cut, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*.tmp"))
	for _, d := range cut {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			logger.Warn("cannot remove a snapshot cut short", "dir", d, "error", err)
			continue
		}
		logger.Info("removed a snapshot cut short", "dir", d)
	}
}
