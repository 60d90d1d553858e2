package store

import (
	"iter"
	"slices"
)

// Walks over the ordered index (ordered.go) in key order, from a start key
// to an end key, forward or back, and the range scans of a KV and of an
// image built on them.
//
// A range is [start, end): start included, end excluded, and an empty end
// means no end (an empty exclusive end would leave nothing to yield, so
// the convention takes nothing away).

// ascend yields, in increasing order, the keys under n from the first at
// or after start, up to end (excluded; "" for none). It returns false once
// the walk must stop: yield refused a key, or the keys passed end.
func ascend(n *onode, start, end string, yield func(string) bool) bool {
	if n == nil {
		return true
	}
	i, _ := slices.BinarySearch(n.keys, start)
	for ; ; i++ {
		if n.kids != nil && !ascend(n.kids[i], start, end, yield) {
			return false
		}
		if i == len(n.keys) {
			return true
		}
		k := n.keys[i]
		if end != "" && k >= end {
			return false
		}
		if !yield(k) {
			return false
		}
	}
}

// descend yields, in decreasing order, the keys under n from the last
// before end ("" for none) down to start (included). It returns false once
// the walk must stop.
func descend(n *onode, start, end string, yield func(string) bool) bool {
	if n == nil {
		return true
	}
	i := len(n.keys)
	if end != "" {
		i, _ = slices.BinarySearch(n.keys, end)
	}
	if n.kids != nil && !descend(n.kids[i], start, end, yield) {
		return false
	}
	for j := i - 1; j >= 0; j-- {
		k := n.keys[j]
		if k < start || !yield(k) {
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
	return func(yield func(string, []byte) bool) {
		var now int64
		if im.exp != nil {
			now = im.exp.clock()
		}
		for k := range walk(im.ord.root, start, end, reverse) {
			e, ok := lookupEntry(im.m, im.layers, k)
			if !ok || e.expiredAt(now) {
				continue
			}
			if !yield(k, e.v()) {
				return
			}
		}
	}
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
