package store

import (
	"slices"
	"strings"
)

// Pending changes to the ordered index (ordered.go). A create or a removal
// does not go down the tree at once: the index notes it in an unsorted
// buffer, an append, and merges the buffer into the tree, sorted, when
// something needs the keys in order (KV.index: a scan, a Freeze, a range
// delete) or, on another goroutine, when it holds pendMax changes
// (ordered_merge.go). A descent into the tree costs a new key about as
// much as the map insert (most of it cache misses on the keys a binary
// search compares); sorted, consecutive changes share
// the upper nodes of their paths, and a key created and removed before the
// merge never reaches the tree at all.

// pendMax is the most changes the index keeps pending before it hands
// them to a merge on another goroutine (ordered_merge.go). A merge of that
// many takes 0.4-0.7 ms of CPU on a 1M-key store (BenchmarkIndexNew:
// 0.4-0.7 µs a key); a freeze waits for at most one and does one, under
// the 5 ms pause target (BenchmarkFreezeBehindMerge).
const pendMax = 1024

// pendOp is a pending change: key was created, or, if drop, removed.
type pendOp struct {
	key  string
	drop bool
}

// add notes the creation of key, which the index does not hold (as of
// the changes noted before it).
func (t *ordered) add(key string) { t.note(pendOp{key: key}) }

// drop notes the removal of key, which the index holds (as of the changes
// noted before it).
func (t *ordered) drop(key string) { t.note(pendOp{key: key, drop: true}) }

// note appends op to the pending changes, and hands them to a merge on
// another goroutine once there are pendMax (ordered_merge.go).
func (t *ordered) note(op pendOp) {
	t.pend = append(t.pend, op)
	if len(t.pend) >= pendMax {
		t.handOff()
	}
}

// flush merges the pending changes into the tree in key order, after the
// merge on another goroutine, if one runs, is done.
func (t *ordered) flush() {
	t.wait()
	t.merge()
}

// merge merges the pending changes into the tree in key order. A key's
// changes alternate between creation and removal (add and drop say what
// the index held), so their sum tells what to do: one more creation than
// removals, insert it; one more removal, remove it; as many of each, leave
// the tree as it is.
func (t *ordered) merge() {
	if len(t.pend) == 0 {
		return
	}
	slices.SortFunc(t.pend, func(a, b pendOp) int { return strings.Compare(a.key, b.key) })
	net := 0
	var f finger // the leaf the last insert reached (ordered_merge.go)
	for i, op := range t.pend {
		if op.drop {
			net--
		} else {
			net++
		}
		if i+1 < len(t.pend) && t.pend[i+1].key == op.key {
			continue
		}
		switch {
		case net > 0:
			t.insertNear(op.key, &f)
		case net < 0:
			t.remove(op.key)
			f = finger{} // a removal may move keys between nodes
		}
		net = 0
	}
	clear(t.pend)
	t.pend = t.pend[:0]
}

// shared reports whether the tree is frozen as it is, with nothing
// pending: then freezing it again costs nothing now nor later (every
// node is copied before its next change already).
func (t *ordered) shared() bool { return len(t.pend) == 0 && t.bg == nil && t.cow == nil }
