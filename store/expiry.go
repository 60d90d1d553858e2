package store

import (
	"container/heap"
	"fmt"
	"maps"
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
// reads): while an image taken of it is open (frozen and kv.shared > 0)
// the owner copies the map before it changes it, once per image taken, so
// an image never sees a change.

// expireStep is the most keys one expireDue removes. Removing one costs a
// map delete, a heap pop and its part of the journal record, about
// 0.5 µs on a large store, so a step stays well within the 5 ms pause
// target.
const expireStep = 1024

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

// dl is a key's deadline, and its entry in the heap with a copy of the
// entry's low (so that a refresh need not follow the pointer).
type dl struct {
	at  int64 // Unix ns
	low int64 // e.low
	e   *deadline
}

// expiry holds a KV's deadlines.
type expiry struct {
	at     map[string]dl // the deadlines, by key
	heap   deadlineHeap
	frozen bool // an image may share at: copy before changing it
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

// SetClock replaces the clock the KV reads deadlines against (Unix ns).
// Call it before the engine starts; tests use it to control time.
func (kv *KV) SetClock(now func() int64) { kv.clock = now }

// Now returns the KV's clock reading. Owner goroutine only.
func (kv *KV) Now() int64 { return kv.now() }

// now returns the time reads compare deadlines with. In the owner's turn
// (between tick and untick) that is the clock read once, at the first
// need, for all the turn's requests: a clock read costs as much as a map
// lookup. Elsewhere (replay, tests) it reads the clock.
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
	return kv.exp.at[key].at
}

// expired reports whether key has a deadline that has passed. The caller
// has checked kv.exp != nil.
func (kv *KV) expired(key string) bool {
	d, ok := kv.exp.at[key]
	return ok && d.at <= kv.now()
}

// writableExp returns the deadlines, ready to change: created at the first
// use, copied if an open image shares them.
func (kv *KV) writableExp() *expiry {
	x := kv.exp
	switch {
	case x == nil:
		x = &expiry{at: make(map[string]dl)}
		kv.exp = x
	case x.frozen && kv.shared > 0:
		x.at = maps.Clone(x.at)
		x.frozen = false
	default:
		x.frozen = false
	}
	return x
}

// setDeadline gives key, which is present, the deadline at; 0 drops it.
func (kv *KV) setDeadline(key string, at int64) {
	if at == 0 {
		kv.dropDeadline(key)
		return
	}
	x := kv.writableExp()
	if old, ok := x.at[key]; ok {
		if at < old.low {
			old.e.low, old.low = at, at
			heap.Fix(&x.heap, old.e.i)
		}
		x.at[key] = dl{at: at, low: old.low, e: old.e}
		return
	}
	d := &deadline{key: key, low: at}
	x.at[key] = dl{at: at, low: at, e: d}
	heap.Push(&x.heap, d)
}

// dropDeadline removes key's deadline, if it has one.
func (kv *KV) dropDeadline(key string) {
	if kv.exp == nil {
		return
	}
	old, ok := kv.exp.at[key]
	if !ok {
		return
	}
	x := kv.writableExp()
	heap.Remove(&x.heap, old.e.i)
	delete(x.at, key)
}

// expiredCount returns how many keys have expired but are not removed yet,
// and their bytes (len(key)+len(value)). It visits only the heap's nodes
// whose low is at or before now, and their children: nothing when no key
// is due. (A key expired has low <= at <= now, so none is missed.)
func (kv *KV) expiredCount() (n int, size int64) {
	if kv.exp == nil || len(kv.exp.heap) == 0 {
		return 0, 0
	}
	h, now := kv.exp.heap, kv.now()
	if h[0].low > now {
		return 0, 0
	}
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i >= len(h) || h[i].low > now {
			continue
		}
		if kv.exp.at[h[i].key].at <= now {
			n++
			v, _ := kv.raw(h[i].key)
			size += int64(len(h[i].key) + len(v))
		}
		stack = append(stack, 2*i+1, 2*i+2)
	}
	return n, size
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
		if d := kv.exp.heap[0]; kv.exp.at[d.key].at > now {
			x := kv.writableExp()
			v := x.at[d.key]
			d.low, v.low = v.at, v.at
			x.at[d.key] = v
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
	tick()
	untick()
}

var _ expirer = (*KV)(nil)

// imageExpiry is what an image knows of deadlines: the map as it was when
// the image was taken (nothing changes it while the image is open) and the
// clock to read them against.
type imageExpiry struct {
	at    map[string]dl // only at is read: low and e are the owner's
	clock func() int64
}

// freezeExp returns the deadlines for a new image, and marks them shared.
func (kv *KV) freezeExp() *imageExpiry {
	if kv.exp == nil || len(kv.exp.at) == 0 {
		return nil
	}
	kv.exp.frozen = true
	kv.now() // sets the default clock, if none yet
	return &imageExpiry{at: kv.exp.at, clock: kv.clock}
}

// restoreExp returns an expiry holding the deadlines ats, or nil if empty.
func restoreExp(ats map[string]int64) *expiry {
	if len(ats) == 0 {
		return nil
	}
	x := &expiry{at: make(map[string]dl, len(ats)), heap: make(deadlineHeap, 0, len(ats))}
	for k, at := range ats {
		d := &deadline{key: k, low: at, i: len(x.heap)}
		x.at[k] = dl{at: at, low: at, e: d}
		x.heap = append(x.heap, d)
	}
	heap.Init(&x.heap)
	return x
}

// expired reports whether key's deadline is at or before now.
func (x *imageExpiry) expired(key string, now int64) bool {
	d, ok := x.at[key]
	return ok && d.at <= now
}

// Deadline implements KVImage.
func (im *image) Deadline(key string) int64 {
	if im.exp == nil {
		return 0
	}
	return im.exp.at[key].at
}

// LiveLen implements KVImage. With deadlines it looks at each of them.
func (im *image) LiveLen() int {
	if im.exp == nil {
		return im.n
	}
	n, now := im.n, im.exp.clock()
	for _, d := range im.exp.at {
		if d.at <= now {
			n--
		}
	}
	return n
}

// Live implements KVImage.
func (im *image) Live(yield func(string, []byte) bool) {
	if im.exp == nil {
		im.All(yield)
		return
	}
	now := im.exp.clock()
	for k, v := range im.All {
		if !im.exp.expired(k, now) && !yield(k, v) {
			return
		}
	}
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
