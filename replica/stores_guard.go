package replica

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// A store that fails while the node runs. raft v1.7.2 handles most
// errors of its log and stable stores (a failed append refuses the
// entries, a failed read refuses an RPC), but panics, in its own
// goroutines, where this package cannot recover, on three: a log entry it
// cannot read to apply (processLogs), the first entry it cannot read back
// as it bootstraps (liveBootstrap), and a current term it cannot write
// (setCurrentTerm). bbolt, under raft-boltdb, panics on a damaged page,
// and an I/O error reading its memory-mapped file is a fault. And after a
// failed write a store is in doubt: bbolt after a failed fsync, and raft
// after a partial one (it writes a vote as two keys; with the first
// written, it may grant a vote in that term without comparing logs, even
// after a restart: see noCandidate).
//
// So every node runs its log and stable stores behind a guard, which
// stops the node at the first failure (fail-stop, but not the process):
//   - it turns a panic or a fault inside a store call into an error;
//   - on the first error (but "not found", which raft asks for) it halts
//     the machine with ErrStoreFailed wrapping it, before the call
//     returns, and from then on refuses every write: nothing more lands
//     in the stores, so the node grants no vote (raft persists a vote
//     before it grants it), stores no entry, and wins no election (a
//     candidate's vote for itself is persisted too);
//   - where raft would panic, it does not return the error: a failed
//     read of an entry to apply returns a stand-in entry, which the
//     halted machine applies as nothing (see passOver), and so does one
//     of the entry a bootstrap wrote (see GetLog); a failed write
//     of the current term returns nil, and raft keeps the term in memory
//     only, which harms nothing in a node that can no longer vote or
//     store (after a restart it has the older term, and no vote cast in
//     a later one). raft runs on and answers every future;
//   - then retire takes the node out of raft, as for a damaged entry
//     (corrupt.go).
//
// Which call raft would panic on is read from the call's stack (the
// function names of raft v1.7.2): check them when raft is upgraded
// (TestStoreFaultFollowerReadToApply, TestStoreFaultBootstrap and the
// TermWrite tests meet them; TestVoteHalfWrittenGrantsNone meets
// persistVote, and the TestGarbledInstall tests the snapshot store's
// tryRestoreSingleSnapshot and runFSM).

// raftFunc is the prefix of raft's methods' names in a stack.
const raftFunc = "github.com/hashicorp/raft.(*Raft)."

// guard wraps a node's log and stable stores (see above).
type guard struct {
	log    raft.LogStore
	stable raft.StableStore
	stop   func(error)           // halts the machine
	fault  atomic.Pointer[error] // the first failure, or nil
	logger hclog.Logger          // where a store's panic is logged, with its stack
}

// guardStores returns a guard of log and stable that halts the machine
// with stop on the first failure, and logs a store's panic to logger
// (nil: one of its own, to stderr).
func guardStores(log raft.LogStore, stable raft.StableStore, stop func(error), logger hclog.Logger) *guard {
	if logger == nil {
		logger = hclog.New(&hclog.LoggerOptions{Name: "raft-stores", Level: hclog.Warn})
	}
	return &guard{log: log, stable: stable, stop: stop, logger: logger}
}

// failed returns the first failure, or nil.
func (g *guard) failed() error {
	if p := g.fault.Load(); p != nil {
		return *p
	}
	return nil
}

// call runs op, a call of a store, turning a panic or a memory fault in
// it into an error; a write after a failure is refused. Any error but
// "not found" is a failure: it halts the machine.
func (g *guard) call(what string, write bool, op func() error) (err error) {
	if err := g.failed(); write && err != nil {
		return err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = g.recovered(what, p)
		}
		if err != nil && !notFound(err) {
			err = g.fail(what, err)
		}
	}()
	return op()
}

// recovered returns the error of p, a panic in a store call of what: p
// itself if it is an error (a memory fault is a runtime.Error), wrapped
// so that errors.Is and errors.As reach it. Its stack is logged: the
// panic may be a bug in the store, which the node's error alone would
// hide.
func (g *guard) recovered(what string, p any) error {
	g.logger.Error("a raft store panicked", "call", what, "panic", p, "stack", string(debug.Stack()))
	if e, ok := p.(error); ok {
		return fmt.Errorf("panic: %w", e)
	}
	return fmt.Errorf("panic: %v", p)
}

// fail records err, of what, as the guard's failure if it is the first,
// halting the machine, and returns it wrapping ErrStoreFailed.
func (g *guard) fail(what string, err error) error {
	err = fmt.Errorf("%w: %s: %w", ErrStoreFailed, what, err)
	if g.fault.CompareAndSwap(nil, &err) {
		g.stop(err)
	}
	return err
}

// notFound reports whether err is a store's "not found": raft asks for
// entries that a snapshot compacted away, and for keys never written.
func notFound(err error) bool {
	return errors.Is(err, raft.ErrLogNotFound) || err.Error() == "not found"
}

// calledBy reports whether raft's method name is on the caller's stack.
func calledBy(name string) bool {
	var pcs [48]uintptr
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs[:])])
	for more := true; more; {
		var f runtime.Frame
		f, more = frames.Next()
		if f.Function == raftFunc+name {
			return true
		}
	}
	return false
}

// guardedLog is raft's log store behind a guard.
type guardedLog struct{ *guard }

var _ raft.LogStore = guardedLog{}

func (l guardedLog) FirstIndex() (i uint64, err error) {
	err = l.call("first index", false, func() (err error) { i, err = l.log.FirstIndex(); return err })
	return i, err
}

func (l guardedLog) LastIndex() (i uint64, err error) {
	err = l.call("last index", false, func() (err error) { i, err = l.log.LastIndex(); return err })
	return i, err
}

// GetLog reads an entry. One that raft cannot read where it would panic
// is a failure, not found included: the machine has halted by the time
// it returns a stand-in. raft's processLogs reads an entry to apply it,
// and the halted machine applies the stand-in as nothing; liveBootstrap
// reads back the first entry it has just written, the configuration,
// and takes the stand-in, a command, for none: the node has no
// configuration in memory, so it stands for no election, and leaves
// raft (Bootstrap returns the failure).
func (l guardedLog) GetLog(index uint64, log *raft.Log) error {
	err := l.call("read entry", false, func() error { return l.log.GetLog(index, log) })
	if err == nil || !calledBy("processLogs") && !calledBy("liveBootstrap") {
		return err
	}
	if !errors.Is(err, ErrStoreFailed) {
		l.fail(fmt.Sprintf("entry %d to apply", index), err)
	}
	*log = raft.Log{Index: index, Type: raft.LogCommand}
	return nil
}

func (l guardedLog) StoreLog(log *raft.Log) error {
	return l.call("append", true, func() error { return l.log.StoreLog(log) })
}

func (l guardedLog) StoreLogs(logs []*raft.Log) error {
	return l.call("append", true, func() error { return l.log.StoreLogs(logs) })
}

func (l guardedLog) DeleteRange(min, max uint64) error {
	return l.call("delete entries", true, func() error { return l.log.DeleteRange(min, max) })
}

// guardedStable is raft's stable store behind a guard.
type guardedStable struct{ *guard }

var _ raft.StableStore = guardedStable{}

func (s guardedStable) Set(key, val []byte) error {
	return s.call("write "+string(key), true, func() error { return s.stable.Set(key, val) })
}

func (s guardedStable) Get(key []byte) (v []byte, err error) {
	err = s.call("read "+string(key), false, func() (err error) { v, err = s.stable.Get(key); return err })
	return v, err
}

// A vote half written. raft v1.7.2 persists a vote as two writes, its
// term (LastVoteTerm) and then its candidate (LastVoteCand), and takes a
// request in the term it finds from the candidate it finds for one it
// granted already: it grants it again, without comparing logs. With the
// term written and not the candidate (a failed write, or a kill between
// the two), a node started again holds the candidate of its older vote
// beside the new term, and would grant that candidate a vote in this
// term unchecked: one with a stale log could be elected, and overwrite
// committed entries (TestVoteHalfWrittenGrantsNone). So before raft
// writes a vote's term, the guard writes a candidate that no node is
// (noCandidate): half written, the vote then refuses every candidate in
// its term, which is safe; whole, it is raft's. It costs a write a vote.

// voteTermKey and voteCandKey are raft v1.7.2's keys of a vote.
var voteTermKey, voteCandKey = []byte("LastVoteTerm"), []byte("LastVoteCand")

// noCandidate is the candidate of a vote being written: no node's
// address (raft compares a candidate's address with it).
var noCandidate = []byte("\x00replica: vote being written")

// SetUint64 writes key. A failed write of the current term, on which
// raft would panic, returns nil (see above): the node has halted. A
// vote's term is written after noCandidate (see above).
func (s guardedStable) SetUint64(key []byte, val uint64) error {
	if string(key) == string(voteTermKey) && calledBy("persistVote") {
		if err := s.Set(voteCandKey, noCandidate); err != nil {
			return err
		}
	}
	err := s.call("write "+string(key), true, func() error { return s.stable.SetUint64(key, val) })
	if err != nil && calledBy("setCurrentTerm") {
		return nil
	}
	return err
}

func (s guardedStable) GetUint64(key []byte) (v uint64, err error) {
	err = s.call("read "+string(key), false, func() (err error) { v, err = s.stable.GetUint64(key); return err })
	return v, err
}
