package store

import (
	"maps"
	"slices"
)

// orderedOf returns the ordered index of m's keys, built bottom up from
// the sorted keys: full leaves, the keys spread evenly, so that a restored
// store's index takes as little memory as it can. Its cost is the sort.
func orderedOf(m map[string][]byte) ordered {
	return buildOrdered(slices.Sorted(maps.Keys(m)))
}

// buildOrdered returns the tree of keys, which are sorted and distinct.
// Every node but the root holds at least minItems keys: with k nodes on a
// level, ceil((n+1)/(maxItems+1)) of them for n keys, an even spread gives
// each more than half of maxItems.
func buildOrdered(keys []string) ordered {
	t := ordered{n: len(keys)}
	if len(keys) == 0 {
		return t
	}
	k := (len(keys) + 1 + maxItems) / (maxItems + 1)
	nodes, seps := make([]*onode, 0, k), make([]string, 0, k-1)
	for i := range k {
		// The keys left, less a separator after each leaf but the last,
		// spread over the leaves left.
		size := (len(keys) - (k - 1 - i)) / (k - i)
		leaf := t.newNode(false)
		leaf.keys = append(leaf.keys, keys[:size]...)
		nodes, keys = append(nodes, leaf), keys[size:]
		if i < k-1 {
			seps, keys = append(seps, keys[0]), keys[1:]
		}
	}
	for len(nodes) > 1 {
		p := (len(nodes) + maxItems) / (maxItems + 1)
		up, upSeps := make([]*onode, 0, p), make([]string, 0, p-1)
		for i := range p {
			size := len(nodes) / (p - i)
			parent := t.newNode(true)
			parent.kids = append(parent.kids, nodes[:size]...)
			parent.keys = append(parent.keys, seps[:size-1]...)
			up, nodes = append(up, parent), nodes[size:]
			if i < p-1 {
				upSeps = append(upSeps, seps[size-1])
				seps = seps[size:]
			} else {
				seps = seps[size-1:]
			}
		}
		nodes, seps = up, upSeps
	}
	t.root = nodes[0]
	return t
}
