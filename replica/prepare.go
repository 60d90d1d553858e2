package replica

import (
	"errors"
	"runtime"
	"sync/atomic"

	"github.com/hurrahdb/hurrah"
)

// Prepared entries. On the leader, the entry a round proposes reaches the
// FSM only after a raft round trip (about 100 µs over TCP on loopback),
// and an FSM that then decodes it and fills a hurrah batch from it (about
// 12 µs of a 160 µs round for 64 writes) before the owner applies it
// spends that time on the round's critical path, while the rounds' loop
// sits idle waiting for raft. So the loop, once it has handed the entry to raft,
// decodes it and fills the batch itself (prepare), with the same code the
// FSM runs (decodeEntryInto, addOp), and leaves it in the FSM's ready
// slot; Apply, given that very entry (the same bytes, not a copy: raft
// hands a leader's FSM the slice it was given), takes the batch and
// applies it. Any other entry, or a ready batch not there in time, is
// decoded by Apply as before: the outcome is the same, only who decodes
// differs.
//
// The loop yields (runtime.Gosched) before it prepares: raft.Apply has
// just woken raft's leader goroutine onto the loop's P, and preparing
// first delayed the entry's sending by as long as the preparing took.
// Measured with a timeline of 800-900 rounds over TCP (3 nodes, 64
// clients, load 1.2-2.4, median µs after the proposal): without
// preparing, the entry went out at 7.5, the leader's FSM applied from 143
// to 169, and the callers were answered at 175; preparing without the
// yield, the entry went out at 18-36 (the apply took 14, not 26, but the
// round was no shorter); with the yield it went out at 8, was prepared
// by 45, applied from 140 to 152-156, and answered at 157-165.
//
// Why it is safe: entries never change once proposed, and a prepared
// batch keeps its entry's bytes alive, so no other entry can share its
// first byte's address: Apply applies a prepared batch only for the
// bytes it was made from, whenever that comes (even after a lost
// leadership, the entry committed under the next leader). Each
// prepared is owned by one goroutine at a time: the loop while it fills
// one, the FSM once it has taken it from ready (CompareAndSwap), and
// whoever takes it from spare next (Swap); its entry is set once, before
// it is left in ready, so a look at it races with nothing. A damaged
// entry, or one with a Clear (applied in parts: see applyOps), is not
// prepared.

// prepared is an entry, decoded and filled into a batch for the FSM.
type prepared struct {
	entry []byte       // the entry as proposed; its first byte names it
	batch hurrah.Batch // its writes, ready for WriteReusing
	ops   []op         // decodeEntryInto's room, kept for the next entry
}

// prepSlots is where the loop leaves prepared entries for the FSM.
type prepSlots struct {
	ready atomic.Pointer[prepared] // left by prepare, taken by Apply
	spare atomic.Pointer[prepared] // an emptied one, for the next prepare
	hits  atomic.Uint64            // entries Apply took ready (tests, benchmarks)
	skip  int                      // rounds not to prepare: the loop's alone
}

// preparer is a machine that can take prepared entries (the DB's fsm).
type preparer interface {
	prepare(entry []byte)
	unprepare()
}

// prepare decodes entry, as proposed, into a batch and leaves it in the
// ready slot, unless it is damaged or holds a Clear, or the last entry
// prepared came too late (then it skips prepSkip rounds). A prepared,
// once left there, is new: its entry never changes, so Apply may read it
// while the loop takes it back. The loop calls it, once raft.Apply has
// taken entry.
func (f *fsm) prepare(entry []byte) {
	if f.prep.skip > 0 {
		f.prep.skip--
		return
	}
	// Let the goroutines of raft's that Apply has just woken, onto this
	// P, send the entry first: the loop goes after them.
	runtime.Gosched()
	p := &prepared{entry: entry}
	if old := f.prep.spare.Swap(nil); old != nil {
		p.batch, p.ops = old.batch, old.ops // their memory, emptied
	}
	ops, err := decodeEntryInto(p.ops, entry)
	if err == nil {
		p.ops = ops
		for _, o := range ops {
			if o.kind == opClear {
				err = errHasClear
				break
			}
			addOp(&p.batch, o)
		}
		clear(ops) // the batch holds copies; let the entry's keys go with it
	}
	if err != nil { // Apply decodes it and answers as before
		f.emptied(p)
		return
	}
	f.prep.ready.Store(p)
}

// errHasClear stops prepare: an entry with a Clear applies in parts.
var errHasClear = errors.New("replica: the entry holds a Clear")

// unprepare takes back a prepared entry Apply did not take, once its
// round is answered: Apply came first and decoded the entry itself, so
// the next prepSkip rounds are not prepared.
func (f *fsm) unprepare() {
	if p := f.prep.ready.Swap(nil); p != nil {
		f.prep.skip = prepSkip
		f.emptied(p)
	}
}

// prepSkip is how many rounds the loop does not prepare after one it
// prepared too late. Over TCP on loopback the loop is in time for 99.5%
// of the entries; on raft's in-memory transport, where a round trip is
// a few goroutine hand-offs, for 16%, and each late one is decoded twice
// (BenchmarkWrites, 100,000 writes each): there it now tries one round
// in prepSkip+1.
const prepSkip = 16

// emptied keeps the memory of p, which its holder no longer uses, for the
// next prepare.
func (f *fsm) emptied(p *prepared) {
	p.batch.Reset()
	f.prep.spare.Store(p)
}

// takePrepared returns the batch prepared for data, taking it from the
// ready slot, or nil.
func (f *fsm) takePrepared(data []byte) *prepared {
	p := f.prep.ready.Load()
	if p == nil || len(p.entry) != len(data) || len(data) == 0 || &p.entry[0] != &data[0] {
		return nil
	}
	if !f.prep.ready.CompareAndSwap(p, nil) {
		return nil // unprepare took it meanwhile
	}
	f.prep.hits.Add(1)
	return p
}
