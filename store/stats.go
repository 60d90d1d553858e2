package store

import (
	"math/bits"
	"sync/atomic"
)

// What the engine counts while it runs, besides snapshots (freeze.go): the
// requests the owner served, by kind; the last LSN applied; the machine's
// size, if it reports one. The owner is the only writer: it counts in plain
// fields and publishes them with atomic stores once per turn (a turn serves
// up to MaxDrain requests), and only the counts the turn changed, so
// counting costs the request path an increment and a classifier call, and
// Stats, from any goroutine, a few atomic loads. BenchmarkStatsCount
// measured about 5 ns a request in full turns and 15-20 ns for a turn of
// one request, against a round trip through the owner of about a
// microsecond.

// OpKind classifies a request the owner serves, for Ops.
type OpKind uint8

// Kinds of request. A machine that implements OpClassifier sorts its
// commands and queries among the first kinds; without one, every command
// is a KindCommand and every query a KindQuery.
const (
	KindGet     OpKind = iota // a read of one key
	KindSet                   // a set of one key
	KindDelete                // a delete of one key
	KindClear                 // a delete of every key
	KindBatch                 // several sets and deletes, all or nothing
	KindCAS                   // a compare-and-swap or a set-if-absent
	KindCommand               // any other command (Update)
	KindQuery                 // any other query (Query)
	KindTx                    // a function run on the machine that may change it (Exec)
	KindRead                  // a function run on the machine that only reads (Read)
	KindSync                  // a Sync
	NumOpKinds                // the number of kinds
)

// Ops counts, by kind, the requests the owner has served since Start (a
// request whose caller gave up before the owner took it is not counted).
type Ops [NumOpKinds]uint64

// OpClassifier is implemented by machines that sort their commands and
// queries into kinds for Ops. Its methods run in the owner goroutine, once
// per request: they must be cheap and must not change the machine.
type OpClassifier[C, Q any] interface {
	CommandKind(c C) OpKind
	QueryKind(q Q) OpKind
}

// Sizer is implemented by machines that know how much they hold: the
// number of keys they store and their bytes. The owner calls it at the end
// of every turn (whatever changed the state: a request, or the machine's
// own work), so it must be cheap: a read of counters, not a scan. (KV's
// StoredSize counts keys whose deadline has passed until the owner removes
// them: leaving them out, as KV.Size does, costs a walk over every such
// key, which at the end of every turn stalled a store where many expire at
// once: 290 ms a turn with 1M keys due.)
type Sizer interface {
	StoredSize() (keys int, bytes int64)
}

// SyncedLSNer is implemented by sinks that report the last LSN they have
// made durable (the journal does). Stats reads it from any goroutine.
type SyncedLSNer interface {
	SyncedLSN() uint64
}

// liveStats is what the owner counts. Fields without a comment are the
// owner's; the atomics are written by the owner and read by any goroutine.
type liveStats[C, Q any] struct {
	_        [64]byte           // a cache line apart from whatever the allocator puts before
	classify OpClassifier[C, Q] // set by New, never changed; nil: count by request kind
	sizer    Sizer              // set by New, never changed; nil: no size
	ops      Ops
	changed  uint32 // bit k set: ops[k] changed since the last publish
	keysWas  int    // the size last published
	bytesWas int64

	pub   [NumOpKinds]atomic.Uint64
	lsn   atomic.Uint64
	keys  atomic.Int64
	bytes atomic.Int64
	_     [64]byte // and from whatever it puts after
}

// newLiveStats returns the stats of an engine over m, with what m reports
// about itself. They live in an allocation of their own: the owner writes
// them at every request, and if they shared a cache line with the fields
// every caller reads (the mailbox, the pool), that line would bounce
// between cores at every request.
func newLiveStats[C, Q any](m any) *liveStats[C, Q] {
	l := &liveStats[C, Q]{keysWas: -1} // so that the first publish stores the size
	l.classify, _ = m.(OpClassifier[C, Q])
	l.sizer, _ = m.(Sizer)
	return l
}

// count counts r, which the owner is about to serve.
func (o *owner[C, Q, R]) count(r *request[C, Q, R]) {
	l := o.e.live
	var k OpKind
	switch r.kind {
	case kindQuery:
		k = KindQuery
		if l.classify != nil {
			k = l.classify.QueryKind(r.query)
		}
	case kindUpdate:
		k = KindCommand
		if l.classify != nil {
			k = l.classify.CommandKind(r.cmd)
		}
	case kindExec:
		k = KindTx
	case kindRead:
		k = KindRead
	case kindSync:
		k = KindSync
	default:
		return
	}
	l.ops[k]++
	l.changed |= 1 << k
}

// publish makes what the owner counted visible to Stats: the counts, the
// last LSN applied and the machine's size, each only if it changed (a load
// is cheap, a store is not). Owner only (or Start's caller, before the
// owner starts).
func (l *liveStats[C, Q]) publish(lsn uint64) {
	for c := l.changed; c != 0; c &= c - 1 { // only the counts that changed: most turns serve one kind or two
		k := bits.TrailingZeros32(c)
		l.pub[k].Store(l.ops[k])
	}
	l.changed = 0
	if l.lsn.Load() != lsn {
		l.lsn.Store(lsn)
	}
	if l.sizer == nil {
		return
	}
	if k, b := l.sizer.StoredSize(); k != l.keysWas || b != l.bytesWas {
		l.keys.Store(int64(k))
		l.bytes.Store(b)
		l.keysWas, l.bytesWas = k, b
	}
}

// fill copies what was published into s. Any goroutine.
func (l *liveStats[C, Q]) fill(s *Stats) {
	for i := range s.Ops {
		s.Ops[i] = l.pub[i].Load()
	}
	s.AppliedLSN = l.lsn.Load()
	s.Sized = l.sizer != nil
	s.Keys, s.Bytes = int(l.keys.Load()), l.bytes.Load()
}

// Stats returns what the engine has done since Start: its requests, its
// LSNs, its snapshots, its mailbox and its sink's health. It is safe from
// any goroutine after Start, and cheap: it takes no lock and sends the
// owner nothing, so a health check never waits behind requests.
func (e *Engine[C, Q, R]) Stats() Stats {
	s := e.snapStats()
	e.live.fill(&s)
	s.LockFreeGets = e.pub.reads() // the reads that skipped the owner (publish.go)
	s.Ops[KindGet] += s.LockFreeGets
	if e.act != nil {
		s.Mailbox, s.MailboxCap = e.act.Len(), e.act.Cap()
	}
	if e.sink != nil {
		s.ReadOnly = e.sink.Err()
		if d, ok := e.sink.(SyncedLSNer); ok {
			s.SyncedLSN, s.SyncedKnown = d.SyncedLSN(), true
		}
	}
	return s
}
