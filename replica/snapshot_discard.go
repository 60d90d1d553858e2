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
	"github.com/hurrahdb/hurrah/internal/vfs"
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
// that Restore refuses as damaged, as an install, or at a start once an
// older one restores (see refusedAtStart), is taken out of a node
// directory's store, to Dir/refused (TestGarbledInstallRestart).

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
// one refused before, so that an operator can look at it and the disk
// holds one at most. The syncs come in the order that a power cut at
// any point leaves the snapshot in one of the two directories: the node
// directory first, so that refused/ itself lasts, then refused/ with the
// snapshot in it, and last the store's directory without it
// (TestDiscardSyncsInOrder). The snapshot stays in the store, and is
// tried again at the next start, if a sync fails before the move.
func (s fileSnaps) discard(id string) error {
	node := filepath.Dir(s.dir)
	refused := filepath.Join(node, "refused")
	if err := os.RemoveAll(refused); err != nil {
		return err
	}
	if err := os.Mkdir(refused, 0o700); err != nil {
		return err
	}
	if err := syncDir(node); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, id), filepath.Join(refused, id)); err != nil {
		return err
	}
	if err := syncDir(refused); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// syncDir makes the entries of directory dir durable: a rename into it,
// or out of it. A variable, so that a test can see the order of the
// syncs.
var syncDir = vfs.OS.SyncDir

// restoring is a snapshot opened for Restore, whose Close discards it
// if the Restore refused it as damaged.
type restoring struct {
	io.ReadCloser
	id      string
	store   discarder
	m       machine
	before  uint64          // m's refusals as it was opened
	held    *refusedAtStart // non-nil for a restore at start
	logger  hclog.Logger
	checked sync.Once // Close may be called twice: by Restore, and by raft
}

// refusedAtStart holds the snapshots refused as damaged as the node
// starts, which are discarded once an older one restores. A Restore
// cannot tell a snapshot garbled before it was written from one whose
// State another build's S does not decode (both hurrah.ErrCorrupt): if
// every snapshot is refused, none is moved out, and the right build,
// started again, restores the newest
// (TestDiscardKeepsSnapshotsOfAnotherState).
type refusedAtStart struct {
	mu  sync.Mutex
	ids []string
}

func (h *refusedAtStart) add(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ids = append(h.ids, id)
}

func (h *refusedAtStart) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := h.ids
	h.ids = nil
	return ids
}

// Close closes the snapshot, and discards it if the machine refused it
// as damaged meanwhile (restores run one at a time: at start, then in
// raft's FSM goroutine); at start, only once another restores.
func (r *restoring) Close() error {
	err := r.ReadCloser.Close()
	r.checked.Do(func() {
		why := r.m.refusal()
		switch {
		case r.m.refusals() == r.before:
			if r.held != nil {
				for _, id := range r.held.take() {
					r.discard(id, "refused before an older one restored")
				}
			}
		case !errors.Is(why, hurrah.ErrCorrupt):
		case r.held != nil:
			r.held.add(r.id)
		default:
			r.discard(r.id, why)
		}
	})
	return err
}

// discard takes snapshot id, refused as why says, out of the store.
func (r *restoring) discard(id string, why any) {
	if derr := r.store.discard(id); derr != nil {
		r.logger.Warn("cannot take out a snapshot no node can restore", "id", id, "why", why, "error", derr)
		return
	}
	r.logger.Warn("took out a snapshot no node can restore, to refused/", "id", id, "why", why)
}

// forRestore wraps rc, snapshot id opened for a Restore, when s can
// discard a snapshot. A restore at start (atStart) holds a snapshot
// refused until another restores (see refusedAtStart).
func (s guardedSnaps) forRestore(id string, rc io.ReadCloser, atStart bool) io.ReadCloser {
	d, ok := s.SnapshotStore.(discarder)
	if !ok || s.m == nil {
		return rc
	}
	r := &restoring{ReadCloser: rc, id: id, store: d, m: s.m, before: s.m.refusals(), logger: s.logger}
	if atStart {
		r.held = s.held
	}
	return r
}
