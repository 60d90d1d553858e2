package replica

import (
	"fmt"

	"github.com/hashicorp/raft"
)

// newRaft is raft.NewRaft with its panic on damaged bytes turned into
// ErrCorruptDir. Before it starts any goroutine, NewRaft (raft v1.7.2)
// reads every log entry after the snapshot it restored and decodes the
// configuration changes among them, and panics on an entry the log store
// cannot read (its framing damaged) or a configuration change that does
// not decode: raft's own entries carry no checksum, as this package's
// do. Nothing runs yet when it panics, so the node refuses to start
// instead (TestDamagedConfigEntryIsRefused).
func newRaft(c *raft.Config, fsm raft.FSM, logs raft.LogStore, stable raft.StableStore,
	snaps raft.SnapshotStore, trans raft.Transport) (r *raft.Raft, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%w: raft's log: %v", ErrCorruptDir, p)
		}
	}()
	return raft.NewRaft(c, fsm, logs, stable, snaps, trans)
}
