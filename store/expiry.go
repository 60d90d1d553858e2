package store

import (
	"fmt"
	"time"
)

// Expiry: a key may carry a deadline, an absolute time in Unix nanoseconds
// (never a duration, so that replay, snapshots and replicas agree). From
// the moment the KV's clock passes it, the key is hidden from every read
// (get, Len, Size, images' Get and Live); the owner then removes it with a
// journaled OpExpire (expireDue), a bounded number per turn.
//
// A key's deadline lives in its map entry, with its value (entry, kv.go):
// a read finds both in one lookup, and images, which share the map and
// its layers, see the deadlines as of when they were taken with no more
// work. A read of a key without a deadline pays a compare with 0.
//
// For the owner to find the next deadline, the keys that have one are in
// a min-heap too, so the next deadline is the heap's root; the heap knows
// each key's place in it (expiry_heap.go), and only the owner reads it, so
// it needs no layers. A key's deadline is dropped or brought forward in
// O(log n). A KV that never sees a deadline has exp == nil.

// expireStep is the most keys one expireDue removes. Removing one costs
// map deletes, a heap pop (log n cache misses) and its part of the journal
// record: about 1 µs on a 1M-key store (BenchmarkExpireMillion: a step
// takes 0.2 to 0.3 ms at the median), well within the 5 ms pause target.
const expireStep = 256

// deadline is the heap's entry of a key that has a deadline.
//
// The heap is ordered on low, which is at or, after the deadline was
// pushed back, before the key's deadline (entry.at): pushing a deadline
// back (a TTL refreshed, the common change) writes only the key's entry,
// with no heap work and no lookup of its heap entry, and the heap entry
// sinks to its place when expireDue reaches it at low. So each key has one
// entry whatever its history. Bringing a deadline forward moves the entry
// up at once.
type deadline struct {
	key string
	low int64 // the heap's order: the key's deadline, or earlier
}

// expiry holds the heap of a KV's deadlines. A key has an entry in the
// heap exactly when its map entry has a deadline.
type expiry struct {
	deadlines
}

// WallClock returns a clock that reads the wall time at the call plus the
// monotonic time elapsed since, in Unix nanoseconds: a wall-clock jump
// while the process runs neither expires keys early nor keeps them alive.
func WallClock() func() int64 {
	base := time.Now()
	wall := base.UnixNano()
	return func() int64 { return wall + int64(time.Since(base)) }
}

// timersMeasure reports whether the KV's clock advances as Go's timers
// do (its default, a WallClock): then a timer armed for a deadline fires
// once the clock has passed it. A clock a test moves by hand does not. It
// implements expirer.
func (kv *KV) timersMeasure() bool { return !kv.handClock }

// SetClock replaces the clock the KV reads deadlines against (Unix ns).
// timed says whether its readings advance as Go's timers do, as a
// WallClock's do: the owner then trusts a timer armed for the earliest
// deadline and skips reading the clock at the end of a turn while it is
// armed. Give false for a clock a test moves by hand. Call it before the
// engine starts.
func (kv *KV) SetClock(now func() int64, timed bool) { kv.clock, kv.handClock = now, !timed }

// Now returns the KV's clock reading. Owner goroutine only.
func (kv *KV) Now() int64 { return kv.now() }

// now returns the time reads compare deadlines with. In the owner's turn
// (between tick and untick: its requests, the end-of-turn expiry check and
// the statistics it publishes) that is the clock read once, at the first
// need: a clock read costs as much as a map lookup, 30 to 60 ns on the
// machine of BenchmarkExpiryTurn. Elsewhere (replay, tests) it reads the
// clock.
func (kv *KV) now() int64 {
	if kv.clock == nil {
		kv.clock = WallClock()
	}
	if !kv.inTurn {
		return kv.clock()
	}
	if !kv.ticked {
		kv.tickNow, kv.ticked = kv.clock(), true
	}
	return kv.tickNow
}

// tick starts an owner's turn and untick ends it (see now). They
// implement expirer.
func (kv *KV) tick()   { kv.inTurn, kv.ticked = true, false }
func (kv *KV) untick() { kv.inTurn = false }

// due reports whether expireDue has work now. It reads the clock only if
// some key has a deadline.
func (kv *KV) due() bool {
	return kv.exp != nil && len(kv.exp.h) > 0 && kv.exp.h[0].low <= kv.now()
}

// Deadline returns key's deadline in Unix ns, or 0 if it has none or is
// absent (expired keys are absent).
func (kv *KV) Deadline(key string) int64 {
	e, ok := kv.rawEntry(key)
	if !ok || kv.hidden(e) {
		return 0
	}
	return e.at
}

// hidden reports whether e has a deadline that has passed. Only then does
// it read the clock (once per owner's turn, see now).
func (kv *KV) hidden(e entry) bool { return e.at != 0 && e.at <= kv.now() }

// expired reports whether key is present and has a deadline that has
// passed.
func (kv *KV) expired(key string) bool {
	e, ok := kv.rawEntry(key)
	return ok && kv.hidden(e)
}

// writableExp returns the deadlines' heap, created at the first use.
func (kv *KV) writableExp() *expiry {
	if kv.exp == nil {
		kv.exp = &expiry{deadlines{idx: make(map[string]int)}}
	}
	return kv.exp
}

// retime keeps the heap in step with key's deadline changing from old to
// at (either 0: none), as the key's entry is written. The caller has
// checked that they differ.
func (kv *KV) retime(key string, old, at int64) {
	switch {
	case old == 0:
		kv.writableExp().push(key, at)
	case at == 0:
		kv.exp.remove(key)
	case at < old:
		// Pushed back, the entry's low is still at or before the
		// deadline; brought forward, it may not be.
		kv.exp.lower(key, at)
	}
}

// expiredCount returns how many keys have expired but are not removed yet,
// and their bytes (len(key)+len(value)). It visits only the heap's nodes
// whose low is at or before now, and their children: nothing when no key
// is due. (A key expired has low <= at <= now, so none is missed.)
func (kv *KV) expiredCount() (n int, size int64) {
	n, size, _ = kv.expiredWithin(-1, true)
	return n, size
}

// lenBudget is the most heap nodes QueryLen visits to count the expired
// keys in the owner's turn. Each costs a map lookup or two, 0.1 to 0.3 µs,
// so the budget keeps a count within 1 ms of the 5 ms pause target; while
// more keys are due (a million expiring at once), QueryLen answers -1 and
// DB.Len counts from an image, in its caller's goroutine. A variable for
// tests.
var lenBudget = 4096

// expiredWithin counts as expiredCount does (the bytes too if sizes), but
// gives up, with ok false, once it would visit more than budget heap
// nodes (a budget < 0 has no limit).
func (kv *KV) expiredWithin(budget int, sizes bool) (n int, size int64, ok bool) {
	if kv.exp == nil || len(kv.exp.h) == 0 {
		return 0, 0, true
	}
	h, now := kv.exp.h, kv.now()
	if h[0].low > now {
		return 0, 0, true
	}
	stack := []int{0}
	for visits := 0; len(stack) > 0; visits++ {
		if visits == budget {
			return 0, 0, false
		}
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(h) || h[i].low > now {
			continue
		}
		if e, _ := kv.rawEntry(h[i].key); e.at <= now {
			n++
			if sizes {
				size += int64(len(h[i].key) + len(e.v()))
			}
		}
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n, size, true
}

// nextDeadline returns the earliest deadline, or a time before it, or 0
// if there is none.
func (kv *KV) nextDeadline() int64 {
	if kv.exp == nil || len(kv.exp.h) == 0 {
		return 0
	}
	return kv.exp.h[0].low
}

// expireDue removes up to expireStep keys whose deadline has passed, as an
// OpExpire, and returns the command's journal encoding (nil if it removed
// nothing), the next deadline or a time before it (0 if none is left) and
// whether more work is due already. On the way it sinks the entries whose
// deadline was pushed back to their place; those count in the step too.
// It implements expirer.
func (kv *KV) expireDue() (data []byte, next int64, more bool) {
	if kv.exp == nil || len(kv.exp.h) == 0 {
		return nil, 0, false
	}
	now := kv.now()
	if kv.exp.h[0].low > now {
		return nil, kv.exp.h[0].low, false
	}
	var muts []Mutation
	for steps := 0; steps < expireStep && len(kv.exp.h) > 0 && kv.exp.h[0].low <= now; steps++ {
		key := kv.exp.h[0].key
		if e, _ := kv.rawEntry(key); e.at > now {
			kv.exp.raiseRoot(e.at)
			continue
		}
		kv.del(key) // drops the deadline too
		muts = append(muts, Mutation{Op: OpDelete, Key: key})
	}
	if len(muts) > 0 {
		data, _ = encodeBatchOp(OpExpire, muts)
	}
	next = kv.nextDeadline()
	return data, next, next != 0 && next <= now
}

// expirer is implemented by machines that expire state on their own (KV).
// The owner calls expireDue at the end of each turn and journals what it
// returns.
type expirer interface {
	expireDue() (data []byte, next int64, more bool)
	now() int64
	due() bool
	nextDeadline() int64
	timersMeasure() bool
	tick()
	untick()
}

var _ expirer = (*KV)(nil)

// HasDeadlines implements KVImage.
func (im *image) HasDeadlines() bool { return im.exp != nil }

// deadlineRestorer is implemented by machines that restore records with
// deadlines (KV).
type deadlineRestorer interface {
	RestoreAt(n int, records func(yield func(key, value []byte, at int64) bool)) error
}

// RestoreAt is Restore for a snapshot whose records carry deadlines. The
// machine must be a KV (or another that takes deadlines).
func (e *Engine[C, Q, R]) RestoreAt(lsn uint64, n int, records func(yield func(key, value []byte, at int64) bool)) error {
	sn, ok := any(e.m).(deadlineRestorer)
	if !ok {
		return fmt.Errorf("%w: snapshot at LSN %d has deadlines, which this state does not keep", ErrBadEntry, lsn)
	}
	if err := sn.RestoreAt(n, records); err != nil {
		return fmt.Errorf("%w: snapshot at LSN %d: %w", ErrBadEntry, lsn, err)
	}
	e.lsn = lsn
	return nil
}
