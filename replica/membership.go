package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/raft"
)

// Server is a member of the cluster: its node ID and raft address.
type Server struct {
	// ID is the node's ID (Config.ID), unique in the cluster.
	ID string
	// Addr is the node's raft address (its transport's LocalAddr, for a
	// TCP transport the host:port it advertises), unique in the cluster.
	Addr string
}

// Bootstrap makes a new cluster of servers (this node among them, usually
// alone: others then Join). Call it once, on one node whose stores are
// empty; on a node that already holds a cluster it returns
// raft.ErrCantBootstrap. Two servers with one ID, or one address, return
// ErrDuplicateID. If one of raft's stores fails as it bootstraps, it
// returns ErrStoreFailed and the node stops (see Health); what landed
// before the failure stays: after a failed read of the configuration
// written, the stores hold the cluster, and a restart on them leads it;
// after a failed write of it, the term alone, and raft refuses to
// bootstrap them (raft.ErrCantBootstrap): wipe them, or Join the node
// (TestStoreFaultBootstrap).
func (n *node) Bootstrap(servers ...Server) error {
	if n.closed() {
		return ErrClosed
	}
	conf := raft.Configuration{}
	for i, s := range servers {
		for _, t := range servers[:i] {
			if s.ID == t.ID || s.Addr == t.Addr {
				return fmt.Errorf("%w: %s at %s and %s at %s", ErrDuplicateID, t.ID, t.Addr, s.ID, s.Addr)
			}
		}
		conf.Servers = append(conf.Servers, raft.Server{
			Suffrage: raft.Voter, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.Addr),
		})
	}
	err := n.raft.BootstrapCluster(conf).Error()
	if failed := n.guard.failed(); failed != nil {
		return failed // raft wraps a store's error with %v, or, its read failed, returns nil
	}
	return err
}

// Members returns the cluster's members as this node's latest
// configuration has them. A node that has met a damaged log entry
// returns ErrCorruptEntry: it has left raft (ask another node).
func (n *node) Members(ctx context.Context) ([]Server, error) {
	if err := n.enter(); err != nil {
		return nil, err // closed, or halted: it leaves raft (see retire)
	}
	defer n.calls.Done()
	f := n.raft.GetConfiguration()
	if err := n.wait(ctx, f); err != nil {
		return nil, err
	}
	var out []Server
	for _, s := range f.Configuration().Servers {
		out = append(out, Server{ID: string(s.ID), Addr: string(s.Address)})
	}
	return out, nil
}

// Join adds the node id at addr to the cluster as a voter; it then
// catches up from the leader (by a snapshot if the log has been
// compacted). Call it on the leader: elsewhere it returns a
// *NotLeaderError. Joining a member again at its own address does
// nothing; an ID that a member at another address has, or an address
// another member has, returns ErrDuplicateID and changes nothing. On a
// transport NewTransport made, it first connects to the node as raft
// will: a node of another cluster returns ErrOtherCluster, one it cannot
// reach or whose certificate it refuses ErrUnreachable, and neither
// changes anything. If leadership is lost while the change is under way
// it returns ErrUncertain: the node may or may not have joined (Members
// tells). A node that has met a damaged log entry returns
// ErrCorruptEntry and adds nothing: the node joining would catch up from
// its log and halt too (and the node leaves raft: see retire).
func (n *node) Join(ctx context.Context, id, addr string) error {
	if err := n.enter(); err != nil {
		return err // closed, or halted: a node joining would halt on the same entry
	}
	defer n.calls.Done()
	if !n.IsLeader() {
		return n.notLeader()
	}
	f := n.raft.GetConfiguration()
	if err := n.wait(ctx, f); err != nil {
		return err
	}
	for _, s := range f.Configuration().Servers {
		sameID, sameAddr := string(s.ID) == id, string(s.Address) == addr
		switch {
		case sameID && sameAddr:
			return nil
		case sameID || sameAddr:
			return fmt.Errorf("%w: %s at %s is a member; %s at %s cannot join", ErrDuplicateID, s.ID, s.Address, id, addr)
		}
	}
	if err := probe(ctx, n.cfg.Transport, addr); err != nil { // see transport_cluster.go
		return err
	}
	return n.change(ctx, n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), f.Index(), n.cfg.ApplyTimeout))
}

// Remove removes the node id from the cluster. Call it on the leader:
// elsewhere it returns a *NotLeaderError. An ID not in the cluster
// returns ErrUnknownMember. A leader may remove itself: it then steps
// down. A node that has met a damaged log entry returns ErrCorruptEntry
// and removes nothing, as Join does.
func (n *node) Remove(ctx context.Context, id string) error {
	if err := n.enter(); err != nil {
		return err // closed, or halted: it leaves raft, leading or not (see retire)
	}
	defer n.calls.Done()
	if !n.IsLeader() {
		return n.notLeader()
	}
	f := n.raft.GetConfiguration()
	if err := n.wait(ctx, f); err != nil {
		return err
	}
	found := false
	for _, s := range f.Configuration().Servers {
		found = found || string(s.ID) == id
	}
	if !found {
		return fmt.Errorf("%w: %s", ErrUnknownMember, id)
	}
	return n.change(ctx, n.raft.RemoveServer(raft.ServerID(id), f.Index(), n.cfg.ApplyTimeout))
}

// change waits for a configuration change and maps its error.
func (n *node) change(ctx context.Context, f raft.IndexFuture) error {
	err := n.wait(ctx, f)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader):
		return n.notLeader()
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: membership change: %w", ErrBusy, err) // not proposed
	case errors.Is(err, raft.ErrLeadershipLost):
		// Logged, but whether it committed is unknown: as for a write.
		return fmt.Errorf("%w: membership change: %w", ErrUncertain, err)
	}
	return fmt.Errorf("replica: membership change: %w", err)
}

// enter counts in a call that waits for raft futures outside the rounds
// (Members, Join, Remove), so that Close, and retire, wait for it before
// they stop raft; the call ends with n.calls.Done(). Once Close has begun
// (ErrClosed) or the machine has halted (ErrCorruptEntry), it returns
// why, counting nothing: retire, once it has seen the halt, takes mu, so
// every call counted before it is in n.calls as it waits for them.
func (n *node) enter() error { return n.enterIn(&n.calls) }

// enterIn is enter, counting the call in wg (n.calls, or n.restores).
func (n *node) enterIn(wg *sync.WaitGroup) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.Health(); err != nil {
		return err
	}
	wg.Add(1)
	return nil
}

// wait waits for f, or for ctx to end, in a call counted in by enter.
// The goroutine waiting for f is counted too: if ctx ends first, Close
// still waits until raft answers f, which, running, it does soon (raft
// v1.7.2, shutting down, may leave it unanswered, and the goroutine with
// it).
func (n *node) wait(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	n.calls.Add(1) // the call's own count is held: Close has not returned
	go func() {
		defer n.calls.Done()
		done <- f.Error()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
