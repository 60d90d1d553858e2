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
	// keeps the newest two.
	Snapshots raft.SnapshotStore

	bolt *raftboltdb.BoltStore
}

// OpenStores opens (making them if need be) raft's stores in dir. The
// directory is locked while they are open: a second OpenStores of it, in
// this process or another, returns ErrDirInUse after a second. A file
// that is not a store returns ErrCorruptDir. Close closes them.
func OpenStores(dir string) (*Stores, error) {
	return openStores(dir, nil)
}

// openStores is OpenStores with a logger for the snapshot store (nil: one
// that logs warnings to stderr).
func openStores(dir string, logger hclog.Logger) (*Stores, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: no directory", ErrInvalidConfig)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("replica: open stores: %w", err)
	}
	path := filepath.Join(dir, logFile)
	b, err := raftboltdb.New(raftboltdb.Options{
		Path: path, BoltOptions: &bbolt.Options{Timeout: lockTimeout},
	})
	switch {
	case errors.Is(err, bbolt.ErrTimeout):
		return nil, fmt.Errorf("%w: %s", ErrDirInUse, dir)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrCorruptDir, path, err)
	}
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "raft-snapshots", Level: hclog.Warn})
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, logger)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("replica: open snapshot store: %w", err)
	}
	return &Stores{Log: b, Stable: b, Snapshots: snaps, bolt: b}, nil
}

// Close closes the stores and unlocks the directory. It is idempotent.
func (s *Stores) Close() error {
	return s.bolt.Close()
}
