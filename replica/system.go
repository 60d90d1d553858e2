package replica

import (
	"context"

	"github.com/hurrahdb/hurrah"
)

// SystemNode is one member of a replicated hurrah System: a raft node
// whose state machine is a memory-only hurrah.System holding the user's
// own State, changed only by their Commands. It is to a System what Node
// is to a DB: the same rounds, membership, snapshots and restarts (see
// the package doc), and safe for concurrent use.
//
// Commit proposes a command through raft on the leader (elsewhere a
// *NotLeaderError), and concurrent commands share one raft entry. Every
// node applies every committed command, in log order, each on its own, so
// the Command's Apply must be deterministic exactly as hurrah.Command
// says: here it is replayed by every node of the cluster, at every
// restart, not only by this process. Query reads the State, linearizably
// unless Stale is given.
//
// A raft snapshot holds the State in the System's backup format; a node
// restores one with hurrah.OpenSystemBackup, refusing a damaged one
// (hurrah.ErrCorrupt). The State, like a System's, is encoded whole in
// the owner goroutine when raft takes a snapshot.
type SystemNode[S any, C hurrah.Command[S]] struct {
	node
	fsm *systemFSM[S, C]
}

// NewSystemNode starts a node of a replicated System as cfg says, as
// NewNode starts one of a DB. Its State starts as initial() (or the zero
// S if initial is nil), then takes every command in the log, or the
// newest snapshot and the commands after it. Every node of the cluster
// must run the same S, C and initial.
func NewSystemNode[S any, C hurrah.Command[S]](cfg Config, initial func() S) (*SystemNode[S, C], error) {
	n := &SystemNode[S, C]{}
	err := n.start(cfg, systemEntryTag, func(ctx context.Context) (machine, error) {
		f, err := newSystemFSM[S, C](ctx, initial)
		n.fsm = f
		return f, err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// Commit proposes c to the cluster and returns once it is committed and
// applied on this node (the leader), with what c's Apply returned here.
// That is what every node's Apply returns for it, since Apply is
// deterministic: a command whose Apply fails is in raft's log, but
// changes the State on no node, and Commit returns its error as Apply
// returned it (errors.Is works). A command that panics poisons the
// System on every node, as it does a System (hurrah.ErrPoisoned): from
// then on every Commit and Query returns that error, and a restart
// replays it again; keep Apply from panicking.
//
// On a follower Commit returns a *NotLeaderError and proposes nothing; an
// ErrUncertain command may or may not be applied. A command CBOR cannot
// encode, or that does not decode back into a C, returns hurrah.ErrEncode;
// one whose encoding passes hurrah.DefaultMaxValueSize returns
// hurrah.ErrTooLarge; neither is proposed. If ctx ends first Commit
// returns ctx's error, and c may still be applied; a ctx that has ended
// before the call proposes nothing.
func (n *SystemNode[S, C]) Commit(ctx context.Context, c C) error {
	b, err := encodeCommand[S](c)
	if err != nil {
		return err
	}
	return n.submit(ctx, appendCommand(nil, b), 1)
}

// Query runs f against the State in the System's owner goroutine, as
// hurrah.Query does, with its rules: f must only read, be quick, and copy
// out what it needs. Without Stale the read is linearizable: f runs once
// this node, the leader, has confirmed its leadership with a majority and
// applied every command committed before the call (a follower returns a
// *NotLeaderError). With Stale it runs at once on any node, as Stale
// says. A panic in f returns an error wrapping hurrah.ErrPanic.
func (n *SystemNode[S, C]) Query(ctx context.Context, f func(state *S), opts ...ReadOption) error {
	if err := n.ready(ctx, opts); err != nil {
		return err
	}
	return onState(n.fsm.sys.Load, func(sys *hurrah.System[S, C]) error {
		_, err := hurrah.Query(ctx, sys, func(s *S) struct{} { f(s); return struct{}{} })
		return err
	})
}
