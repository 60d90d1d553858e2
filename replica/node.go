package replica

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hurrahdb/hurrah"
)

// Defaults of Config.
const (
	DefaultApplyTimeout  = 10 * time.Second
	DefaultMaxBatchBytes = 1 << 20
)

// Config configures a Node or a SystemNode. ID and Transport are required; every other
// zero field means the default its comment gives.
type Config struct {
	// ID names the node in the cluster: unique, and the same across its
	// restarts.
	ID string
	// Transport carries raft's traffic: raft.NewInmemTransport in tests,
	// NewTransport (TCP, or mutual TLS) between machines; only on one
	// NewTransport made does Join check the joining node first (see
	// Join). The node's Close closes it.
	Transport raft.Transport
	// Cluster names the cluster. When set, the node's stores record it
	// at the first start, and a later NewNode over stores that record
	// another name returns ErrOtherCluster (they record the node's ID
	// too, and refuse another ID the same way). "" records no name.
	Cluster string
	// Dir, when set, is the node's directory: NewNode opens raft's stores
	// on disk there (see OpenStores) and Close closes them, so a NewNode
	// on the same Dir restarts the node. Dir excludes the three fields
	// below.
	Dir string
	// LogStore, StableStore and SnapshotStore are raft's stores, which
	// hold all that a node keeps (the local store is memory-only; see the
	// package doc). nil (and no Dir) means in-memory ones
	// (raft.NewInmemStore, raft.NewInmemSnapshotStore): then nothing
	// outlives the process, unless the caller keeps them and hands them
	// to the next Node. A restore sizes the map it loads by the
	// snapshot's size in bytes only where the size cannot lie (the
	// sizes of raft.InmemSnapshotStore, and the state files of Dir's or
	// OpenStores' store): from any other, raft.FileSnapshotStore too
	// (its meta.json has no checksum), a map for more than 1M keys grows
	// as they come, which makes a catch-up of 4M keys about twice as slow.
	LogStore      raft.LogStore
	StableStore   raft.StableStore
	SnapshotStore raft.SnapshotStore
	// Raft tunes raft: timeouts, when to snapshot, its logger. nil means
	// raft.DefaultConfig(). Its LocalID is replaced by ID, and its
	// ShutdownOnRemove is off: a leader that removes itself steps down
	// (raft v1.7.2, shutting down instead, leaves the futures of entries
	// waiting for its FSM goroutine unanswered, and calls and Close hang).
	Raft *raft.Config
	// ApplyTimeout bounds how long a proposal waits for raft to take it.
	// Default DefaultApplyTimeout.
	ApplyTimeout time.Duration
	// MaxBatchBytes is about the most bytes of writes one raft entry
	// packs from concurrent calls: a round takes calls while it holds
	// less, so an entry passes it by one call's writes at most, and a
	// single write larger than it still goes through. Default
	// DefaultMaxBatchBytes.
	MaxBatchBytes int
}

// resolve checks c and fills in the defaults. (Its zero-means-default
// steps have the shape of journal.Options' resolve: the options idiom.)
func (c Config) resolve() (Config, error) {
	if c.ID == "" || c.Transport == nil {
		return c, fmt.Errorf("%w: ID and Transport are required", ErrInvalidConfig)
	}
	if c.ApplyTimeout < 0 || c.MaxBatchBytes < 0 {
		return c, fmt.Errorf("%w: negative ApplyTimeout or MaxBatchBytes", ErrInvalidConfig)
	}
	if c.Dir != "" && (c.LogStore != nil || c.StableStore != nil || c.SnapshotStore != nil) {
		return c, fmt.Errorf("%w: Dir and a store are both set", ErrInvalidConfig)
	}
	if c.Dir == "" {
		c.inmemStores()
	}
	rc := raft.DefaultConfig()
	if c.Raft != nil {
		copied := *c.Raft
		rc = &copied
	}
	rc.LocalID = raft.ServerID(c.ID)
	rc.ShutdownOnRemove = false
	c.Raft = rc
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = DefaultApplyTimeout
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	return c, nil
}

// inmemStores fills in in-memory stores for those not given.
func (c *Config) inmemStores() {
	if c.LogStore == nil {
		c.LogStore = raft.NewInmemStore()
	}
	if c.StableStore == nil {
		c.StableStore = raft.NewInmemStore()
	}
	if c.SnapshotStore == nil {
		c.SnapshotStore = raft.NewInmemSnapshotStore()
	}
}

// Node is one member of a replicated hurrah store: a raft node whose state
// machine is a memory-only hurrah DB. It is safe for concurrent use, and
// meant to be long-lived: start it once, Close it when done.
//
// Writes (Set, Delete, Clear) are accepted on the leader only: elsewhere
// they return a *NotLeaderError naming the leader, for the caller to retry
// there (a node does not forward). Concurrent writes on the leader share
// one raft entry. Reads are linearizable unless Stale is given.
type Node struct {
	node
	fsm *fsm
}

// node is what a Node and a SystemNode share, whatever their state
// machine: raft, the rounds (rounds.go), membership and the lifecycle.
// Both embed it, so its exported methods are theirs.
type node struct {
	cfg       Config
	raft      *raft.Raft
	m         machine
	tag       byte            // the first byte of this node's entries
	rounds    rounds          // calls waiting for a raft round (rounds.go)
	stop      chan struct{}   // closed by Close first: no new calls, the loop returns
	done      chan struct{}   // closed when every round proposed is answered
	left      chan struct{}   // closed once a halted node has shut raft down (retire)
	life      context.Context // ended by Close, once no Restore is under way: cuts a snapshot or a Backup short
	end       context.CancelFunc
	disk      *Stores // opened for Config.Dir, or nil
	guard     *guard  // of raft's log and stable stores (stores_guard.go)
	close     sync.Once
	err       error        // Close's result
	confirmed atomic.Int64 // Unix ns: this node led a majority after it (see confirm)
	// mu orders Close's closing of stop, and a halt, before the calls
	// that wait for raft futures outside the rounds (see enter), counted
	// in calls.
	mu    sync.Mutex
	calls sync.WaitGroup
	// restores counts the Restores under way (restore_cluster.go): Close,
	// and retire, wait for them first, since raft's FSM goroutine may be
	// restoring the snapshot with the machine's context.
	restores  sync.WaitGroup
	restoring chan struct{}  // buffered (1): held by the Restore under way
	waits     sync.WaitGroup // retire (corrupt.go)
}

// NewNode starts a node as cfg says. A node whose stores hold no cluster
// waits: Bootstrap one, or Join it from the leader of one. A node whose
// stores do (a restart) restores raft's newest snapshot and rejoins; if
// every snapshot there is damaged it returns hurrah.ErrCorrupt and does
// not start. (A snapshot that reads whole but that Restore refuses as
// damaged, one garbled before it was written, is moved out of a node
// directory's snapshots, to Dir/refused, as it is refused, or at a start
// once an older one restores: see snapshot_discard.go.)
func NewNode(cfg Config) (*Node, error) {
	n := &Node{}
	err := n.start(cfg, entryVersion, func(ctx context.Context) (machine, error) {
		f, err := newFSM(ctx)
		n.fsm = f
		return f, err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// start starts n as cfg says, with the machine newMachine returns, whose
// entries begin with tag: it checks the cluster's identity and opens the
// stores, then starts raft.
func (n *node) start(cfg Config, tag byte, newMachine func(context.Context) (machine, error)) error {
	c, err := cfg.resolve()
	if err != nil {
		return err
	}
	if err := sameCluster(c.Transport, c.Cluster); err != nil {
		return err
	}
	var disk *Stores
	if c.Dir != "" {
		if disk, err = openStores(c.Dir, c.Raft.Logger, identity{c.Cluster, c.ID}); err != nil {
			return err
		}
		c.LogStore, c.StableStore, c.SnapshotStore = disk.Log, disk.Stable, disk.Snapshots
	} else if err := (identity{c.Cluster, c.ID}).claim(c.StableStore); err != nil {
		return err
	}
	n.disk = disk
	if c.Dir != "" {
		if err := removeSpools(c.Dir); err != nil {
			disk.Close()
			return err
		}
	}
	if err := n.startRaft(c, tag, newMachine); err != nil {
		if disk != nil {
			disk.Close()
		}
		return err
	}
	return nil
}

// startRaft starts the node of a resolved config with its stores open.
func (n *node) startRaft(c Config, tag byte, newMachine func(context.Context) (machine, error)) error {
	ctx, end := context.WithCancel(context.Background())
	m, err := newMachine(ctx)
	if err != nil {
		end()
		return err
	}
	g := guardStores(c.LogStore, c.StableStore, m.stopWith, c.Raft.Logger) // see stores_guard.go
	snaps := guardSnaps(c.SnapshotStore, m, c.Raft.Logger)                 // see stores_guard_snap.go
	r, err := newRaft(c.Raft, m, guardedLog{g}, guardedStable{g}, snaps, c.Transport)
	if err != nil {
		end()
		m.close()
		if why := m.refusal(); why != nil { // raft does not wrap it
			return fmt.Errorf("replica: start node %s: %w: %w", c.ID, err, why)
		}
		return fmt.Errorf("replica: start node %s: %w", c.ID, err)
	}
	n.cfg, n.raft, n.m, n.tag, n.life, n.end, n.guard = c, r, m, tag, ctx, end, g
	n.rounds.kick = make(chan struct{}, 1)
	n.rounds.full = make(chan struct{}, 1)
	n.stop, n.done, n.left = make(chan struct{}), make(chan struct{}), make(chan struct{})
	n.restoring = make(chan struct{}, 1)
	go n.loop()
	n.waits.Add(2)
	go n.retire(c.Raft.HeartbeatTimeout) // see corrupt.go
	go n.resnapshot(snaps.damaged)
	return nil
}

// ID returns the node's ID.
func (n *node) ID() string { return n.cfg.ID }

// Addr returns the node's raft address.
func (n *node) Addr() string { return string(n.cfg.Transport.LocalAddr()) }

// IsLeader reports whether the node is the leader now. A node that has
// halted (see Health) is not, from the moment it halts, whatever raft's
// State says: raft may lead on until the node leaves it (see retire),
// or, after it has, set its State back (see Left).
func (n *node) IsLeader() bool { return n.m.halted() == nil && n.leads() }

// leads reports whether raft leads, halted or not: what retire asks.
func (n *node) leads() bool { return !n.Left() && n.raft.State() == raft.Leader }

// Leader returns the ID and address of the leader this node knows of, or
// empty strings. A node that has halted knows none: it has left raft, or
// leaves it, and its raft may still name itself.
func (n *node) Leader() (id, addr string) {
	if n.m.halted() != nil {
		return "", ""
	}
	a, i := n.raft.LeaderWithID()
	return string(i), string(a)
}

// AppliedIndex returns the raft index of the last entry of this package
// applied to the local store: the position of its state in the log.
// Raft's own entries (barriers, configuration changes) are not counted:
// after one, AppliedIndex is below raft's applied index.
func (n *node) AppliedIndex() uint64 { return n.m.appliedIndex() }

// Raft returns the node's raft instance, for what this package does not
// wrap (stats, leadership transfer, observers). Do not Apply through it:
// the state machine reads only entries this package writes.
func (n *node) Raft() *raft.Raft { return n.raft }

// Close stops the node. It takes no new calls (they return ErrClosed),
// cuts short a Restore still reading or checking its backup, and waits
// for one that raft holds (raft's FSM restores the copy with the node's
// context, and raft v1.7.2 panics if that fails); then it cuts a snapshot
// or a Backup being written short, and waits until every call
// already proposed is answered (writes, reads, and the futures of
// membership changes, even of a call whose ctx ended), while raft still
// runs: raft v1.7.2 drops, unanswered, the futures of entries waiting for
// its FSM goroutine when it shuts down. Each is answered soon: applied,
// or, on a leader that cannot reach a majority, refused once it steps
// down. Then it stops raft (closing the transport, and the connections
// a NetworkTransport pooled to its peers), the local store,
// and the stores it opened for Config.Dir. It is idempotent and returns
// the first error.
func (n *node) Close() error {
	n.close.Do(func() {
		n.mu.Lock()
		close(n.stop) // a Restore reading its backup stops here (untilClose)
		n.mu.Unlock()
		n.restores.Wait() // before end: the FSM may be restoring with its context
		n.end()
		n.awaitRounds()
		n.waits.Wait()
		n.calls.Wait()
		err := n.raft.Shutdown().Error()
		// raft closes the transport, but a NetworkTransport's Close
		// leaves the connections it pooled to its peers open, and the
		// peers' readers waiting on them (TestCloseLeavesNoTransportGoroutine).
		if ts, ok := n.cfg.Transport.(interface{ CloseStreams() }); ok {
			ts.CloseStreams()
		}
		if cerr := n.m.close(); err == nil {
			err = cerr
		}
		if n.disk != nil {
			if cerr := n.disk.Close(); err == nil {
				err = cerr
			}
		}
		n.err = err
	})
	return n.err
}

// closed reports whether Close has begun.
func (n *node) closed() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}

// db returns the local store.
func (n *Node) db() *hurrah.DB { return n.fsm.db.Load() }

// WaitLeader waits until this node knows of a leader (itself, perhaps)
// and returns its ID, or ctx's error, or ErrCorruptEntry once the node
// has halted. It checks every few milliseconds.
func (n *node) WaitLeader(ctx context.Context) (string, error) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := n.m.halted(); err != nil {
			return "", err // first: until it has left raft, raft knows a leader
		}
		if id, _ := n.Leader(); id != "" {
			return id, nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return "", ctx.Err()
		case <-n.stop:
			return "", ErrClosed
		}
	}
}
