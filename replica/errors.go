package replica

import (
	"errors"
	"fmt"
)

// Errors returned by a Node. Check them with errors.Is: most arrive wrapped
// with details. Errors of the local store (hurrah.ErrInvalidKey,
// hurrah.ErrTooLarge, hurrah.ErrNotFound, ...) are hurrah's own sentinels.
// (This list shares its shape with hurrah's errors.go and journal's: a
// comment and an errors.New per sentinel is the idiom, not repeated logic.)
var (
	// ErrNotLeader is returned for a write, a linearizable read or a
	// membership change made on a node that is not the leader. Nothing is
	// proposed. errors.As with a *NotLeaderError gives the leader this
	// node knows of, to retry there.
	ErrNotLeader = errors.New("replica: not the leader")
	// ErrClosed is returned by every method called after Close, and to a
	// call still waiting when Close stops the node.
	ErrClosed = errors.New("replica: node is closed")
	// ErrBadEntry is returned when a raft log entry does not decode as
	// one this package writes. The entry changes nothing, on any node.
	ErrBadEntry = errors.New("replica: bad log entry")
	// ErrCorruptEntry is returned by every read and write of a node
	// (and by Health) once it has met a raft log entry whose checksum
	// fails: its copy of the log is damaged (raft's log store keeps no
	// checksum of its own). The node applies nothing from then on, since
	// every node must apply the same log, and takes no snapshot; the
	// others, whose copies are whole, serve on. It stays so until it is
	// stopped: recover it by wiping its directory and starting it again
	// (or removing and joining it again), so it catches up from the
	// leader. A write that was in flight when the node stopped applying
	// returns it with ErrUncertain.
	ErrCorruptEntry = errors.New("replica: damaged log entry; wipe this node's directory and rejoin it")
	// ErrDuplicateID is returned when a node joins, or a cluster is
	// bootstrapped, with the ID of another member at another address (or
	// with an address another member has). The configuration is unchanged.
	ErrDuplicateID = errors.New("replica: duplicate node ID")
	// ErrUnknownMember is returned by Remove for an ID not in the cluster.
	ErrUnknownMember = errors.New("replica: no such member")
	// ErrTooStale is returned by a stale read on a node that has not heard
	// from a leader within the bound the read gave (see Stale).
	ErrTooStale = errors.New("replica: node too far behind for this read")
	// ErrUncertain is returned for a write, or a membership change, whose
	// fate is unknown: it was proposed, but leadership was lost (or the
	// node stopped) before it was known to commit. It may or may not be
	// applied; read (or list the members) to find out.
	ErrUncertain = errors.New("replica: write proposed, outcome unknown")
	// ErrBusy is returned for a write, a linearizable read, a Join or a
	// Remove that raft did not take within Config.ApplyTimeout (it wraps
	// raft's ErrEnqueueTimeout): the leader is overloaded. Nothing was
	// proposed, so a retry, later, is safe.
	ErrBusy = errors.New("replica: raft did not take the call in time")
	// ErrInvalidConfig is returned by NewNode for a Config it cannot use,
	// by NewTransport for a TransportConfig, and by MutualTLS for files
	// that are not a usable certificate, key or CA.
	ErrInvalidConfig = errors.New("replica: invalid config")
	// ErrDirInUse is returned by OpenStores (and NewNode with Config.Dir)
	// for a node directory whose stores another holder has open.
	ErrDirInUse = errors.New("replica: node directory in use")
	// ErrOtherCluster is returned by NewNode for stores (a Config.Dir)
	// that record another cluster name (Config.Cluster) or another node
	// ID: the directory of another cluster's node, or of another node.
	// Nothing is written to them. Join returns it for a node whose
	// transport names another cluster (TransportConfig.Cluster), and
	// changes nothing.
	ErrOtherCluster = errors.New("replica: stores belong to another cluster or node")
	// ErrUnreachable is returned by Join for a node it cannot connect
	// to as raft would (over TLS, one whose certificate the cluster CA
	// did not sign, or that is not valid now, or one that refuses this
	// node's certificate: the message then says so). The configuration
	// is unchanged.
	ErrUnreachable = errors.New("replica: cannot reach the node")
	// ErrCorruptDir is returned by OpenStores (and NewNode with
	// Config.Dir) when raft's log file in a node directory cannot be
	// opened as one: damaged, truncated, or another kind of file. Nothing
	// in the directory is changed. A failure a retry or an operator can
	// cure (permissions, an I/O error, a full disk) is not this error: it
	// arrives as the file system's, wrapped. NewNode returns it too, for
	// any stores, when raft's log holds an entry its log store cannot
	// read or a configuration change (raft's own entry, with no checksum)
	// that does not decode, on which raft would panic; raft.db has then
	// been opened for writing, so bbolt may have written to it.
	ErrCorruptDir = errors.New("replica: damaged node directory")
	// ErrStoreFailed is returned by every call of a node (and by Health)
	// once one of raft's stores (its log, or its stable store) has failed
	// while the node runs: an I/O error, a full disk, a damaged page or an
	// entry that does not decode. The error wraps the store's. The node
	// stops as for ErrCorruptEntry: it applies nothing more, writes
	// nothing more to the stores, and leaves the cluster's raft; the
	// others serve on. Close it and, the cause mended, start it again on
	// the same stores (ErrCorruptDir then says they are damaged: wipe the
	// directory and rejoin). A write in flight returns ErrUncertain
	// (wrapping this error if its own append failed).
	ErrStoreFailed = errors.New("replica: raft's store failed; the node has stopped")
)

// NotLeaderError details ErrNotLeader: the leader as far as this node
// knows. Both fields are empty while no leader is known (an election is
// under way, or the node is cut off).
type NotLeaderError struct {
	LeaderID   string // the leader's node ID
	LeaderAddr string // the leader's raft address
}

// Error implements error.
func (e *NotLeaderError) Error() string {
	if e.LeaderID == "" {
		return ErrNotLeader.Error() + " (no leader known)"
	}
	return fmt.Sprintf("%v; the leader is %s at %s", ErrNotLeader, e.LeaderID, e.LeaderAddr)
}

// Is makes errors.Is(err, ErrNotLeader) true.
func (e *NotLeaderError) Is(target error) bool { return target == ErrNotLeader }
