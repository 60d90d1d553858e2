package replica

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hurrahdb/hurrah"
)

// SetOption gives a set a deadline: see TTL and Deadline. The zero
// SetOption sets none, as hurrah's does.
type SetOption struct {
	ttl time.Duration
	at  time.Time
	abs bool // at, not ttl
	ok  bool // made by TTL or Deadline
}

// TTL makes the key expire d after the node taking the call reads its
// clock; that node turns it into a deadline, which replicates as data.
func TTL(d time.Duration) SetOption { return SetOption{ttl: d, ok: true} }

// Deadline makes the key expire at t. Every node expires it when its own
// clock passes t: keep the clocks in step (NTP) for replicas to agree.
func Deadline(t time.Time) SetOption { return SetOption{at: t, abs: true, ok: true} }

// deadline returns the absolute deadline (Unix ns, 0 for none) that opts
// give, the last one winning.
func deadline(opts []SetOption) (int64, error) {
	if len(opts) == 0 {
		return 0, nil
	}
	o := opts[len(opts)-1]
	if !o.ok {
		return 0, nil
	}
	t := o.at
	if !o.abs {
		t = time.Now().Add(o.ttl)
	}
	if t.IsZero() || t.Before(time.Unix(0, math.MinInt64+1)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, fmt.Errorf("%w: deadline %v", hurrah.ErrInvalidExpiry, t)
	}
	if at := t.UnixNano(); at != 0 {
		return at, nil
	}
	return -1, nil // 0 says "none": the epoch itself is a nanosecond early
}

// write checks ops and proposes them as one atomic step.
func (n *Node) write(ctx context.Context, ops ...op) error {
	for _, o := range ops {
		if err := o.check(); err != nil {
			return err
		}
	}
	var buf [128]byte // a small write's encoding stays on the stack
	return n.submit(ctx, appendOps(buf[:0], ops), len(ops))
}

// SetBytes stores value under key on every node, with the deadline opts
// give, if any. It returns once the write is committed and applied on
// this node (the leader). On a follower it returns a *NotLeaderError and
// proposes nothing; an ErrUncertain write may or may not be applied; a
// bad key or value (hurrah.ErrInvalidKey, hurrah.ErrTooLarge) changes
// nothing. If ctx ends first it returns ctx's error, and the write may
// still be applied; a ctx that has ended before the call proposes nothing.
func (n *Node) SetBytes(ctx context.Context, key string, value []byte, opts ...SetOption) error {
	at, err := deadline(opts)
	if err != nil {
		return err
	}
	return n.write(ctx, op{kind: opSet, key: key, value: value, at: at})
}

// Set stores v under key, encoded as hurrah.Set encodes it (CBOR), as
// SetBytes does.
func Set[T any](ctx context.Context, n *Node, key string, v T, opts ...SetOption) error {
	b, err := hurrah.CBORCodec{}.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: key %q: %w", hurrah.ErrEncode, key, err)
	}
	return n.SetBytes(ctx, key, b, opts...)
}

// Delete removes key on every node, as SetBytes writes. Deleting a
// missing key is not an error.
func (n *Node) Delete(ctx context.Context, key string) error {
	return n.write(ctx, op{kind: opDelete, key: key})
}

// Clear removes every key on every node, as SetBytes writes.
func (n *Node) Clear(ctx context.Context) error {
	return n.write(ctx, op{kind: opClear})
}

// ReadOption qualifies a read: see Stale.
type ReadOption struct {
	stale  bool
	maxLag time.Duration
}

// Stale makes a read answer from this node's store at once, leader or
// not, without asking the cluster: fast, and possibly stale. It sees every
// write this node has applied: a prefix of the log, as of some moment,
// that may lack writes already acknowledged elsewhere. maxLag > 0 bounds
// how far behind that moment may be: a follower that has not heard from a
// leader within maxLag (a partitioned node, say) returns ErrTooStale; a
// leader answers at once if one of its rounds committed (proving it led a
// majority) within maxLag, and otherwise runs a round first (as a
// linearizable read does) and returns ErrTooStale if that takes longer
// than maxLag (a leader cut off from the others, say). 0 sets no bound.
// How far behind a follower in contact is: the entries the leader has
// committed but not yet replicated and applied there (typically a round
// trip).
func Stale(maxLag time.Duration) ReadOption { return ReadOption{stale: true, maxLag: maxLag} }

// ready readies a read: a linearizable one waits for a round on the
// leader; a stale one checks its bound.
func (n *node) ready(ctx context.Context, opts []ReadOption) error {
	if len(opts) == 0 || !opts[len(opts)-1].stale {
		return n.submit(ctx, nil, 0)
	}
	if err := n.Health(); err != nil {
		return err
	}
	lag := opts[len(opts)-1].maxLag
	if lag <= 0 {
		return nil
	}
	if n.IsLeader() {
		err := n.leaderWithin(ctx, lag)
		if !errors.Is(err, ErrNotLeader) {
			return err
		}
		// Deposed meanwhile: bound it as a follower.
	}
	if last := n.raft.LastContact(); time.Since(last) > lag {
		return fmt.Errorf("%w: no contact with a leader since %v", ErrTooStale, last)
	}
	return nil
}

// leaderWithin returns nil if this node, the leader, is known to have led
// a majority within lag, running a round to find out if need be;
// ErrTooStale if the round takes longer than lag.
func (n *node) leaderWithin(ctx context.Context, lag time.Duration) error {
	if time.Since(time.Unix(0, n.confirmed.Load())) <= lag {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, lag)
	defer cancel()
	err := n.submit(rctx, nil, 0)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("%w: the leader has not heard from a majority within %v", ErrTooStale, lag)
	}
	return err
}

// GetBytes returns the bytes stored under key, or hurrah.ErrNotFound.
// Without Stale the read is linearizable: it returns once this node,
// the leader, has confirmed its leadership with a majority and applied
// every write committed before the call (a follower returns a
// *NotLeaderError).
func (n *Node) GetBytes(ctx context.Context, key string, opts ...ReadOption) ([]byte, error) {
	if err := (op{kind: opDelete, key: key}).check(); err != nil {
		return nil, err
	}
	if err := n.ready(ctx, opts); err != nil {
		return nil, err
	}
	var b []byte
	err := onState(n.fsm.db.Load, func(db *hurrah.DB) (err error) {
		b, err = db.GetBytes(ctx, key)
		return err
	})
	return b, err
}

// Get returns the value stored under key, decoded into a T, as GetBytes
// reads it.
func Get[T any](ctx context.Context, n *Node, key string, opts ...ReadOption) (T, error) {
	b, err := n.GetBytes(ctx, key, opts...)
	if err != nil {
		var zero T
		return zero, err
	}
	return hurrah.Decode[T](b)
}
