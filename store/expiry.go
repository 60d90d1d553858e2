package store

import (
	"container/heap"
	"fmt"
	"time"
)

// Expiry: a key may carry a deadline, an absolute time in Unix nanoseconds
// (never a duration, so that replay, snapshots and replicas agree). From
// the moment the KV's clock passes it, the key is hidden from every read
// (get, Len, Size, images' Get and Live); the owner then removes it with a
// journaled OpExpire (expireDue), a bounded number per turn.
//
// The deadlines live beside the map, in a map from key to the deadline and
// its heap entry (one lookup, no pointer to follow, for a read or a
// refresh), and in a min-heap of the entries, so the next deadline is the
// heap's root and a key's deadline is changed or dropped in O(log n). A KV
// that never sees a deadline has exp == nil: its reads pay a nil check.
//
// An image shares the deadline map (not the heap, which only the owner
// reads) as it shares the KV's base map: while an image is open the owner
// records changes of deadlines in an overlay, freezes it as a layer when
// the next image is taken, and folds them back in steps once no image is
// open (expiry_layers.go). No image costs a copy.

// expireStep is the most keys one expireDue removes. Removing one costs
// map deletes, a heap pop (log n cache misses) and its part of the journal
// record: about 1 µs on a 1M-key store (BenchmarkExpireMillion: a step
// takes 0.2 to 0.3 ms at the median), well within the 5 ms pause target.
const expireStep = 256

// deadline is a key's deadline and its place in the heap.
//
// The heap is ordered on low, which is at or, after the deadline was
// pushed back, earlier: pushing a deadline back (a TTL refreshed, the
// common change) only writes at, and the entry sinks to its place when
// expireDue reaches it at low. So a refresh costs no heap work, and each
// key has one entry whatever its history. Bringing a deadline forward
// moves the entry up at once.
type deadline struct {
	key string
	low int64 // the heap's order: the deadline (at[key]), or earlier
	i   int   // index in the heap
}

// dl is a key's deadline and its entry in the heap: 16 bytes, so that the
// map of deadlines takes little cache from the map of values. A refresh
// that pushes the deadline back need not follow e: the entry's low is at
// or before the old deadline, so at or before the new one too.
type dl struct {
	at int64     // Unix ns
	e  *deadline // nil marks, in an overlay, a deadline dropped
}

// expiry holds a KV's deadlines.
type expiry struct {
	at map[string]dl // the deadlines, by key: the base, which images share
	// While images are open: frozen overlays, oldest first, which images
	// share, and the owner's overlay above them; nil when folded.
	layers []map[string]dl
	ovl    map[string]dl
	heap   deadlineHeap
}

// deadlineHeap is a min-heap of deadlines (container/heap).
type deadlineHeap []*deadline

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].low < h[j].low }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].i, h[j].i = i, j
}
func (h *deadlineHeap) Push(x any) {
	d := x.(*deadline)
	d.i = len(*h)
	*h = append(*h, d)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return d
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
	return kv.exp != nil && len(kv.exp.heap) > 0 && kv.exp.heap[0].low <= kv.now()
}

// Deadline returns key's deadline in Unix ns, or 0 if it has none or is
// absent (expired keys are absent).
func (kv *KV) Deadline(key string) int64 {
	if _, ok := kv.get(key); !ok || kv.exp == nil {
		return 0
	}
	d, _ := kv.exp.get(key)
	return d.at
}

// rawDeadline returns the deadline of key, expired or not (0: none). The
// caller has checked that key is in the map.
func (kv *KV) rawDeadline(key string) int64 {
	if kv.exp == nil {
		return 0
	}
	d, _ := kv.exp.get(key)
	return d.at
}

// expired reports whether key has a deadline that has passed. The caller
// has checked kv.exp != nil.
//
// Most of the time nothing has: the heap's root is the earliest low, and
// every key's deadline is at or after its entry's low, so while the root
// is after now no key has expired, and a read needs no lookup of its
// deadline, only the turn's clock reading (which the end of the turn
// needs anyway, see due). expireDue keeps the root after now at the end
// of each turn, but for work left to its next step.
func (kv *KV) expired(key string) bool {
	h := kv.exp.heap
	if len(h) == 0 {
		return false
	}
	now := kv.now()
	if h[0].low > now {
		return false
	}
	d, ok := kv.exp.get(key)
	return ok && d.at <= now
}

// writableExp returns the deadlines, created at the first use.
func (kv *KV) writableExp() *expiry {
	if kv.exp == nil {
		kv.exp = &expiry{at: make(map[string]dl)}
	}
	return kv.exp
}

// setDeadline gives key, which is present, the deadline at; 0 drops it.
func (kv *KV) setDeadline(key string, at int64) {
	if at == 0 {
		kv.dropDeadline(key)
		return
	}
	x := kv.writableExp()
	if old, ok := x.get(key); ok {
		if at == old.at {
			return
		}
		if at < old.at && at < old.e.low {
			old.e.low = at
			heap.Fix(&x.heap, old.e.i)
		}
		x.put(key, dl{at: at, e: old.e}, kv.shared > 0)
		return
	}
	d := &deadline{key: key, low: at}
	x.put(key, dl{at: at, e: d}, kv.shared > 0)
	heap.Push(&x.heap, d)
}

// dropDeadline removes key's deadline, if it has one.
func (kv *KV) dropDeadline(key string) {
	if kv.exp == nil {
		return
	}
	x := kv.exp
	old, ok := x.get(key)
	if !ok {
		return
	}
	heap.Remove(&x.heap, old.e.i)
	x.del(key, kv.shared > 0)
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
	if kv.exp == nil || len(kv.exp.heap) == 0 {
		return 0, 0, true
	}
	h, now := kv.exp.heap, kv.now()
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
		if d, _ := kv.exp.get(h[i].key); d.at <= now {
			n++
			if sizes {
				v, _ := kv.raw(h[i].key)
				size += int64(len(h[i].key) + len(v))
			}
		}
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n, size, true
}

// nextDeadline returns the earliest deadline, or a time before it, or 0
// if there is none.
func (kv *KV) nextDeadline() int64 {
	if kv.exp == nil || len(kv.exp.heap) == 0 {
		return 0
	}
	return kv.exp.heap[0].low
}

// expireDue removes up to expireStep keys whose deadline has passed, as an
// OpExpire, and returns the command's journal encoding (nil if it removed
// nothing), the next deadline or a time before it (0 if none is left) and
// whether more work is due already. On the way it sinks the entries whose
// deadline was pushed back to their place; those count in the step too.
// It implements expirer.
func (kv *KV) expireDue() (data []byte, next int64, more bool) {
	if kv.exp == nil || len(kv.exp.heap) == 0 {
		return nil, 0, false
	}
	now := kv.now()
	if kv.exp.heap[0].low > now {
		return nil, kv.exp.heap[0].low, false
	}
	var muts []Mutation
	for steps := 0; steps < expireStep && len(kv.exp.heap) > 0 && kv.exp.heap[0].low <= now; steps++ {
		x := kv.exp
		if v, _ := x.get(x.heap[0].key); v.at > now {
			v.e.low = v.at
			heap.Fix(&x.heap, 0)
			continue
		}
		key := kv.exp.heap[0].key
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

// restoreExp returns an expiry holding the deadlines ats, or nil if empty.
func restoreExp(ats map[string]int64) *expiry {
	if len(ats) == 0 {
		return nil
	}
	x := &expiry{at: make(map[string]dl, len(ats)), heap: make(deadlineHeap, 0, len(ats))}
	for k, at := range ats {
		d := &deadline{key: k, low: at, i: len(x.heap)}
		x.at[k] = dl{at: at, e: d}
		x.heap = append(x.heap, d)
	}
	heap.Init(&x.heap)
	return x
}

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
