package store

// Merging pending changes (ordered_pending.go) off the owner. Merging a
// full buffer into the tree is most of what the index costs a new key:
// each change goes down to a leaf that is rarely in the cache. So when the
// buffer fills, the owner hands the tree and the buffer to a goroutine of
// their own, which merges them, and goes on noting changes in another
// buffer. The tree is the goroutine's until the owner waits for it
// (wait): whatever reads or changes the tree (a freeze, a scan, a range
// delete: all go through flush) waits first, and so does the owner if it
// fills the new buffer too while the merge still runs. So the index is
// never more than two buffers behind, and a freeze waits for at most the
// rest of one merge and then does one. Measured (BenchmarkFreezeBehindMerge,
// 1M keys), that worst pause is 3.1-3.4 ms, as a freeze's inline merge of
// a full buffer was before (2.7-3.4 ms); letting the owner fill a third
// buffer before it waits made it 6-8 ms, for no gain in its cost.
//
// The goroutine changes only its own copy of the tree's fields and the
// nodes that carry the tree's token (the nodes no image shares), and the
// channel it closes orders those writes before the owner's reads. It
// ends when its merge does. Whatever drops or replaces the tree (Clear,
// deferIndex, Restore, a build) waits for it first, and so does the
// engine's Close (mergeWaiter), so no merge outlives the store.

// mergeHook, nil but in tests, runs in a merge's goroutine before it
// merges.
var mergeHook func()

// ordMerge is a merge running on its own goroutine.
type ordMerge struct {
	t    ordered       // the tree as handed over, and the changes to merge
	done chan struct{} // closed when t is merged
}

// handOff starts a merge of the pending changes on a goroutine of its
// own, after the one that runs, if any, is done.
func (t *ordered) handOff() {
	t.wait()
	m := &ordMerge{t: ordered{root: t.root, n: t.n, cow: t.cow, pend: t.pend}, done: make(chan struct{})}
	t.bg, t.pend, t.idle = m, t.idle, nil
	hook := mergeHook
	go func() {
		if hook != nil {
			hook()
		}
		m.t.merge()
		close(m.done)
	}()
}

// mergeWaiter is a machine whose index may be merging on a goroutine of
// its own: the engine's Close calls waitMerge once the owner has stopped.
type mergeWaiter interface{ waitMerge() }

// waitMerge waits for the index's merge, if one runs (mergeWaiter).
func (kv *KV) waitMerge() { kv.ord.wait() }

// wait waits for the merge on another goroutine, if one runs, and takes
// the tree back.
func (t *ordered) wait() {
	m := t.bg
	if m == nil {
		return
	}
	<-m.done
	t.root, t.n, t.cow = m.t.root, m.t.n, m.t.cow
	t.bg, t.idle = nil, m.t.pend
}

// finger is the leaf a merge's last descent reached, and the separators
// that bound its keys on the way down to it. A merge's changes come in
// key order, so the next new key often belongs in the same leaf (a run of
// keys created in order, or many changes into a small tree): if it lies
// between the bounds, it goes into the leaf, which is in the cache, with
// no descent. The leaf stays mutable (the tree's token) and its bounds
// right until a removal rearranges nodes, which drops the finger; a
// finger lives for one merge, in which nothing freezes the tree.
type finger struct {
	leaf         *onode
	lo, hi       string // the leaf's keys are > lo if hasLo, < hi if hasHi
	hasLo, hasHi bool
}

// narrow bounds the finger by the separators around kid i of the inner
// node whose keys are keys.
func (f *finger) narrow(keys []string, i int) {
	if i > 0 {
		f.lo, f.hasLo = keys[i-1], true
	}
	if i < len(keys) {
		f.hi, f.hasHi = keys[i], true
	}
}

// holds reports whether key goes into the finger's leaf, and the leaf has
// room for it.
func (f *finger) holds(key string) bool {
	return f.leaf != nil && len(f.leaf.keys) < maxItems &&
		(!f.hasLo || key > f.lo) && (!f.hasHi || key < f.hi)
}
