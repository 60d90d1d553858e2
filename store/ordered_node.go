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
	switch c := n.cmpCommon(key); {
	case c < 0:
		return 0, false
	case c > 0:
		return len(keys), false
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

// cmpCommon compares key with the skip bytes n's keys share, cut to
// their length: 0 if key starts with them. It reads them from n.lead,
// not from a key, when there are at most 16 and key is that long.
func (n *onode) cmpCommon(key string) int {
	switch {
	case n.skip == 0:
		return 0
	case n.skip > 16 || len(key) < n.skip:
		common := n.keys[0][:n.skip]
		if strings.HasPrefix(key, common) {
			return 0
		}
		return strings.Compare(key, common)
	}
	if c := cmpMasked(prefix8(key, 0), n.lead[0], min(n.skip, 8)); c != 0 || n.skip <= 8 {
		return c
	}
	return cmpMasked(prefix8(key, 8), n.lead[1], n.skip-8)
}

// cmpMasked compares the first k bytes (1 to 8) of the big-endian a with
// b, which holds only those.
func cmpMasked(a, b uint64, k int) int {
	a &= ^uint64(0) << (64 - 8*k)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// leadOf returns the first 16 of key's first skip bytes, big-endian,
// zero past skip.
func leadOf(key string, skip int) [2]uint64 {
	var l [2]uint64
	for i := range min(skip, 16) {
		l[i/8] |= uint64(key[i]) << (56 - 8*(i%8))
	}
	return l
}

// shares reports whether key starts with the skip bytes n's keys share.
func (n *onode) shares(key string) bool {
	return len(n.keys) == 0 || n.cmpCommon(key) == 0
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
	n.skip, n.lead = 0, [2]uint64{}
	if len(n.keys) == 0 {
		return
	}
	n.skip = lcp(n.keys[0], n.keys[len(n.keys)-1])
	n.lead = leadOf(n.keys[0], n.skip)
	for i, k := range n.keys {
		n.pfx[i] = prefix8(k, n.skip)
	}
}
