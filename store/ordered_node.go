package store

import "strings"

// A node's inline key prefixes (ordered.go). A binary search over a node's
// keys compares the key sought with up to six of them, and each comparison
// reads a key's bytes, which live wherever the map's key was allocated: a
// cache miss each, most of what a descent costs. So a node also keeps, for
// each key, the 8 bytes that follow the bytes all its keys share (skip of
// them), as a big-endian integer padded with zeros, next to each other in
// the node: the search compares integers, and reads keys' bytes only to
// check that the key sought shares the node's common bytes (keys[0]) and
// to break ties between equal prefixes. Padding keeps the order: of two
// keys with the same common bytes, the lesser has the lesser or an equal
// prefix.
//
// skip need not be the longest common prefix: any number of bytes the
// keys share keeps the search right, and a longer one leaves fewer ties.
// A node gets the longest when it is built or split (fix, refit) and when
// a key that does not share its skip bytes joins it.

// prefix8 returns the 8 bytes of s after its first skip bytes, as a
// big-endian integer padded with zeros.
func prefix8(s string, skip int) uint64 {
	var x uint64
	for i := skip; i < skip+8; i++ {
		x <<= 8
		if i < len(s) {
			x |= uint64(s[i])
		}
	}
	return x
}

// search returns the position of the first key in n not less than key,
// and whether it is key.
func (n *onode) search(key string) (int, bool) {
	keys := n.keys
	if len(keys) == 0 {
		return 0, false
	}
	if n.skip > 0 {
		common := keys[0][:n.skip]
		if !strings.HasPrefix(key, common) {
			if key < common {
				return 0, false
			}
			return len(keys), false
		}
	}
	p := prefix8(key, n.skip)
	lo, hi := 0, len(keys) // the first prefix not less than p is in [lo, hi]
	for lo < hi {
		if m := int(uint(lo+hi) >> 1); n.pfx[m] < p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	i := lo
	for ; i < len(keys) && n.pfx[i] == p; i++ { // ties: compare the keys
		if keys[i] >= key {
			return i, keys[i] == key
		}
	}
	return i, false // the first key with a greater prefix, or none
}

// shares reports whether key starts with the skip bytes n's keys share.
func (n *onode) shares(key string) bool {
	return len(n.keys) == 0 || strings.HasPrefix(key, n.keys[0][:n.skip])
}

// insertKey inserts key at position i of n's keys.
func (n *onode) insertKey(i int, key string) {
	ok := n.shares(key)
	n.keys = append(n.keys, "")
	copy(n.keys[i+1:], n.keys[i:])
	n.keys[i] = key
	if !ok || len(n.keys) == 1 {
		n.fix()
		return
	}
	copy(n.pfx[i+1:len(n.keys)], n.pfx[i:len(n.keys)-1])
	n.pfx[i] = prefix8(key, n.skip)
}

// setKey replaces n's key i with key.
func (n *onode) setKey(i int, key string) {
	n.keys[i] = key
	if len(n.keys) == 1 || !strings.HasPrefix(key, n.keys[(i+1)%len(n.keys)][:n.skip]) {
		n.fix() // compared with another key: key i is the new one
		return
	}
	n.pfx[i] = prefix8(key, n.skip)
}

// deleteKey removes n's key i. The keys left share what they shared.
func (n *onode) deleteKey(i int) {
	last := len(n.keys) - 1
	copy(n.keys[i:], n.keys[i+1:])
	n.keys[last] = ""
	n.keys = n.keys[:last]
	copy(n.pfx[i:last], n.pfx[i+1:last+1])
	n.pfx[last] = 0
}

// refit is fix for a node whose prefixes are right for its skip: it
// reads only its first and last keys if they share no more than that.
func (n *onode) refit() {
	if len(n.keys) > 0 && lcp(n.keys[0], n.keys[len(n.keys)-1]) > n.skip {
		n.fix()
	}
}

// lcp returns the length of the longest prefix a and b share.
func lcp(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// fix sets n's skip to the longest prefix its keys share, that of the
// first and the last, and computes every key's prefix: it reads every
// key, so the paths that change many keys at once use it.
func (n *onode) fix() {
	n.skip = 0
	if len(n.keys) == 0 {
		return
	}
	n.skip = lcp(n.keys[0], n.keys[len(n.keys)-1])
	for i, k := range n.keys {
		n.pfx[i] = prefix8(k, n.skip)
	}
}
