package store

import "slices"

// Deferring the ordered index (ordered.go) while a store opens. Replaying
// a journal of new keys one insert at a time costs the tree a descent per
// key, as much again as the map insert, and a restored snapshot's keys
// come in the map's order; sorting the keys once and building the tree
// bottom up, when the owner starts, costs less than either (BenchmarkSetNew,
// BenchmarkOrderedOf). So a KV whose index is deferred (ordOff) leaves
// the tree alone on creates and deletes, and the first thing that needs
// it builds it from the keys: Engine.Start, a Freeze, a range scan or a
// replayed range delete.

// indexer is implemented by machines that build an index when the engine
// starts (KV).
type indexer interface{ buildIndex() }

var _ indexer = (*KV)(nil)

// deferIndex stops keeping the index until buildIndex.
func (kv *KV) deferIndex() {
	kv.ord.wait()
	kv.ordOff, kv.ord = true, ordered{}
}

// buildIndex builds the index of the keys, if it was deferred, and keeps
// it from then on.
func (kv *KV) buildIndex() {
	if !kv.ordOff {
		return
	}
	kv.ordOff = false
	if kv.ovl == nil {
		kv.ord = orderedOf(kv.m)
		return
	}
	keys := make([]string, 0, kv.size())
	for k := range kv.all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv.ord = buildOrdered(keys)
}

// index returns the index, built first if it was deferred, with its
// pending changes merged (ordered_pending.go).
func (kv *KV) index() *ordered {
	kv.buildIndex()
	kv.ord.flush()
	return &kv.ord
}

// indexAdd notes the creation of key in the index, unless deferred.
func (kv *KV) indexAdd(key string) {
	if !kv.ordOff {
		kv.ord.add(key)
	}
}

// indexDrop notes the removal of key from the index, unless deferred.
func (kv *KV) indexDrop(key string) {
	if !kv.ordOff {
		kv.ord.drop(key)
	}
}
