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
// The deadlines live beside the map, in a map from key to an entry that
// also sits in a min-heap on the deadline, so the next deadline is the
// heap's root and a key's deadline is changed or dropped in O(log n). A KV
// that never sees a deadline has exp == nil: its reads pay a nil check.
//
// An image shares the deadline map: while an image taken of it is open
// (frozen and kv.shared > 0) the owner copies the map and its heap before
// it changes either, once per image taken, so an image never sees a change.

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
	at  int64 // the deadline, Unix ns
	low int64 // the heap's order: at, or earlier
	i   int   // index in the heap
}

// expiry holds a KV's deadlines.
type expiry struct {
	at     map[string]*deadline
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

func (kv *KV) now() int64 {
	if kv.clock == nil {
		kv.clock = WallClock()
	}
	return kv.clock()
}

// Deadline returns key's deadline in Unix ns, or 0 if it has none or is
// absent (expired keys are absent).
func (kv *KV) Deadline(key string) int64 {
	if _, ok := kv.get(key); !ok || kv.exp == nil {
		return 0
	}
	if d := kv.exp.at[key]; d != nil {
		return d.at
	}
	return 0
}

// expired reports whether key has a deadline that has passed. The caller
// has checked kv.exp != nil.
func (kv *KV) expired(key string) bool {
	d := kv.exp.at[key]
	return d != nil && d.at <= kv.now()
}

// writableExp returns the deadlines, ready to change: created at the first
// use, copied if an open image shares them.
func (kv *KV) writableExp() *expiry {
	x := kv.exp
	switch {
	case x == nil:
		x = &expiry{at: make(map[string]*deadline)}
		kv.exp = x
	case x.frozen && kv.shared > 0:
		x = x.clone()
		kv.exp = x
	default:
		x.frozen = false
	}
	return x
}

// clone returns a copy of x that shares nothing with it.
func (x *expiry) clone() *expiry {
	c := &expiry{at: make(map[string]*deadline, len(x.at)), heap: make(deadlineHeap, len(x.heap))}
	for i, d := range x.heap {
		n := &deadline{key: d.key, at: d.at, low: d.low, i: i}
		c.heap[i] = n
		c.at[d.key] = n
	}
	return c
}

// setDeadline gives key, which is present, the deadline at; 0 drops it.
func (kv *KV) setDeadline(key string, at int64) {
	if at == 0 {
		kv.dropDeadline(key)
		return
	}
	x := kv.writableExp()
	if d := x.at[key]; d != nil {
		d.at = at
		if at < d.low {
			d.low = at
			heap.Fix(&x.heap, d.i)
		}
		return
	}
	d := &deadline{key: key, at: at, low: at}
	x.at[key] = d
	heap.Push(&x.heap, d)
}

// dropDeadline removes key's deadline, if it has one.
func (kv *KV) dropDeadline(key string) {
	if kv.exp == nil || kv.exp.at[key] == nil {
		return
	}
	x := kv.writableExp()
	d := x.at[key]
	heap.Remove(&x.heap, d.i)
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
		if h[i].at <= now {
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
		if d := kv.exp.heap[0]; d.at > now {
			// Images read neither low nor the heap: no copy needed.
			d.low = d.at
			heap.Fix(&kv.exp.heap, 0)
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
}

var _ expirer = (*KV)(nil)

// imageExpiry is what an image knows of deadlines: the map as it was when
// the image was taken (nothing changes it while the image is open) and the
// clock to read them against.
type imageExpiry struct {
	at    map[string]*deadline
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
	x := &expiry{at: make(map[string]*deadline, len(ats)), heap: make(deadlineHeap, 0, len(ats))}
	for k, at := range ats {
		d := &deadline{key: k, at: at, low: at, i: len(x.heap)}
		x.at[k] = d
		x.heap = append(x.heap, d)
	}
	heap.Init(&x.heap)
	return x
}

// expired reports whether key's deadline is at or before now.
func (x *imageExpiry) expired(key string, now int64) bool {
	d := x.at[key]
	return d != nil && d.at <= now
}

// Deadline implements KVImage.
func (im *image) Deadline(key string) int64 {
	if im.exp == nil {
		return 0
	}
	if d := im.exp.at[key]; d != nil {
		return d.at
	}
	return 0
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
