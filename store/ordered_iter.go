package store

import (
	"iter"
)

// Walks over the ordered index (ordered.go) in key order, from a start key
// to an end key, forward or back, and the range scans of a KV and of an
// image built on them.
//
// A range is [start, end): start included, end excluded, and an empty end
// means no end (an empty exclusive end would leave nothing to yield, so
// the convention takes nothing away).

// ascend yields, in increasing order, the keys under n from the first at
// or after start, up to end (excluded; "" for none), each as its node and
// its position there. It returns false once the walk must stop: yield
// refused a key, or the keys passed end.
func ascend(n *onode, start, end string, yield func(*onode, int) bool) bool {
	if n == nil {
		return true
	}
	i, _ := n.search(start)
	for ; ; i++ {
		if n.kids != nil && !ascend(n.kids[i], start, end, yield) {
			return false
		}
		if i == len(n.keys) {
			return true
		}
		if end != "" && n.keys[i] >= end {
			return false
		}
		if !yield(n, i) {
			return false
		}
	}
}

// descend yields, in decreasing order, the keys under n from the last
// before end ("" for none) down to start (included), each as its node and
// its position there. It returns false once the walk must stop.
func descend(n *onode, start, end string, yield func(*onode, int) bool) bool {
	if n == nil {
		return true
	}
	i := len(n.keys)
	if end != "" {
		i, _ = n.search(end)
	}
	if n.kids != nil && !descend(n.kids[i], start, end, yield) {
		return false
	}
	for j := i - 1; j >= 0; j-- {
		if n.keys[j] < start || !yield(n, j) {
			return false
		}
		if n.kids != nil && !descend(n.kids[j], start, end, yield) {
			return false
		}
	}
	return true
}

// walk yields the keys under root in [start, end), in increasing order or,
// if reverse, decreasing.
func walk(root *onode, start, end string, reverse bool) iter.Seq[string] {
	return func(yield func(string) bool) {
		for n, i := range walkAt(root, start, end, reverse) {
			if !yield(n.keys[i]) {
				return
			}
		}
	}
}

// walkAt is walk, yielding each key as its node and its position there.
func walkAt(root *onode, start, end string, reverse bool) iter.Seq2[*onode, int] {
	return func(yield func(*onode, int) bool) {
		if end != "" && end <= start {
			return
		}
		if reverse {
			descend(root, start, end, yield)
		} else {
			ascend(root, start, end, yield)
		}
	}
}

// Range yields the keys in [start, end) ("" end: no end) and their values,
// in increasing key order or, if reverse, decreasing, leaving out expired
// keys. Owner goroutine only, like every KV method, and the KV must not
// change while the loop runs (a transaction's writes wait until it ends).
func (kv *KV) Range(start, end string, reverse bool) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		for k := range walk(kv.index().root, start, end, reverse) {
			if v, ok := kv.get(k); ok && !yield(k, v) {
				return
			}
		}
	}
}

// Range implements KVImage. Keys whose deadline has passed when it starts
// are left out.
func (im *image) Range(start, end string, reverse bool) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) { im.scan(start, end, reverse, yield) }
}

// scan is Range's loop.
func (im *image) scan(start, end string, reverse bool, yield func(string, []byte) bool) {
	if end != "" && end <= start {
		return
	}
	fill := scanFill{sc: im.sc, on: im.sc.filling()}
	s := imageScan{im: im, yield: yield, fill: &fill}
	if im.exp != nil {
		s.now = im.exp.clock()
	}
	if reverse {
		descend(im.ord.root, start, end, s.visit)
	} else {
		ascend(im.ord.root, start, end, s.visit)
	}
	fill.flush()
}

// imageScan is a range scan of an image under way. It is a struct with a
// method, not a loop over walkAt, so that it stays on the stack: the
// variables a range-over-func body shares with its loop go to the heap.
type imageScan struct {
	im    *image
	yield func(string, []byte) bool
	now   int64
	cur   *onode    // the node of the last key read
	vals  *nodeVals // its cached values, or nil
	fill  *scanFill // apart, so that yield stays on the stack
}

// visit reads key i of n and yields it, with its value, unless it is
// missing or expired. The value comes from the layers, else from the scan
// cache (ordered_scancache.go), else from the base map, and then the scan
// notes it for the cache.
func (s *imageScan) visit(n *onode, i int) bool {
	if n != s.cur {
		s.cur, s.vals = n, s.fill.enter(n)
	}
	k := n.keys[i]
	e, ok, inLayer := lookupLayers(s.im.layers, k)
	if !inLayer {
		if v, hit := s.vals.value(i); hit {
			return s.yield(k, v)
		}
		if e, ok = s.im.m[k]; ok {
			s.fill.note(i, e)
		}
	}
	if !ok || e.expiredAt(s.now) {
		return true
	}
	return s.yield(k, e.v())
}

// rangeKeys returns the keys in [start, end) ("" end: no end), expired or
// not, in increasing order.
func (kv *KV) rangeKeys(start, end string) []string {
	var keys []string
	for k := range walk(kv.index().root, start, end, false) {
		keys = append(keys, k)
	}
	return keys
}

// PrefixEnd returns the end of the range of the keys that start with
// prefix: the least key after all of them, or "" (no end) if there is
// none, for an empty prefix or one of 0xff bytes only.
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
