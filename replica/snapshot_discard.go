package replica

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// A snapshot no node can restore. raft's file snapshot store checks a
// snapshot's CRC, computed over the bytes as they were written: one
// garbled before (on its way to a follower: raft's transport has no
// checksum) passes it, and only Restore's checks find it
// (hurrah.ErrCorrupt). raft v1.7.2 leaves such an install on the
// follower's disk, its newest snapshot, and refuses it there: at every
// start it tries it first, then falls back to the older one; and while
// the node leads, a follower that needs an install is sent it, and
// refuses it, until the node takes a snapshot of its own. So a snapshot
// that Restore refuses as damaged, at a start or as an install, is
// taken out of a node directory's store, to Dir/refused
// (TestGarbledInstallRestart).

// discarder is a snapshot store that can take a snapshot out.
type discarder interface {
	discard(id string) error
}

// fileSnaps is raft's file snapshot store of a node directory.
type fileSnaps struct {
	*raft.FileSnapshotStore
	dir    string // the store's directory, dir/snapshots
	logger hclog.Logger
}

// discard takes snapshot id out of the store: it moves it to
// Dir/refused (a rename: raft's store no longer lists it), replacing the
// one refused before, so that an operator can look at it (a State of
// another type, from another build, is refused as damaged too) and the
// disk holds one at most; then it syncs both directories, so that no
// restart tries it again.
func (s fileSnaps) discard(id string) error {
	refused := filepath.Join(filepath.Dir(s.dir), "refused")
	if err := os.RemoveAll(refused); err != nil {
		return err
	}
	if err := os.Mkdir(refused, 0o700); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, id), filepath.Join(refused, id)); err != nil {
		return err
	}
	for _, d := range []string{s.dir, refused} {
		if f, err := os.Open(d); err == nil {
			f.Sync()
			f.Close()
		}
	}
	return nil
}

// restoring is a snapshot opened for Restore, whose Close discards it
// if the Restore refused it as damaged.
type restoring struct {
	io.ReadCloser
	id      string
	store   discarder
	m       machine
	before  uint64 // m's refusals as it was opened
	logger  hclog.Logger
	checked sync.Once // Close may be called twice: by Restore, and by raft
}

// Close closes the snapshot, and discards it if the machine refused it
// as damaged meanwhile (restores run one at a time: at start, then in
// raft's FSM goroutine).
func (r *restoring) Close() error {
	err := r.ReadCloser.Close()
	r.checked.Do(func() {
		why := r.m.refusal()
		if r.m.refusals() == r.before || !errors.Is(why, hurrah.ErrCorrupt) {
			return
		}
		if derr := r.store.discard(r.id); derr != nil {
			r.logger.Warn("cannot take out a snapshot no node can restore", "id", r.id, "why", why, "error", derr)
			return
		}
		r.logger.Warn("took out a snapshot no node can restore, to refused/", "id", r.id, "why", why)
	})
	return err
}

// forRestore wraps rc, snapshot id opened for a Restore, when s can
// discard a snapshot.
func (s guardedSnaps) forRestore(id string, rc io.ReadCloser) io.ReadCloser {
	d, ok := s.SnapshotStore.(discarder)
	if !ok || s.m == nil {
		return rc
	}
	return &restoring{ReadCloser: rc, id: id, store: d, m: s.m, before: s.m.refusals(), logger: s.logger}
}
