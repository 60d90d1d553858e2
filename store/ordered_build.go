package store

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// orderedOf returns the ordered index of m's keys, built bottom up from
// the sorted keys: full leaves, the keys spread evenly, so that a restored
// store's index takes as little memory as it can. Its cost is the sort.
func orderedOf[V any](m map[string]V) ordered {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return buildOrdered(sortKeys(keys))
}

// sortKeys sorts keys, on two goroutines if there are many and the
// machine has the cores: each sorts half, and the halves are merged. The
// sort is most of what building the index costs (BenchmarkOrderedOf), and
// a store being opened has nothing else for the cores to do.
func sortKeys(keys []string) []string {
	if runtime.GOMAXPROCS(0) < 2 || len(keys) < 1<<15 {
		slices.Sort(keys)
		return keys
	}
	a, b := keys[:len(keys)/2], keys[len(keys)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.Sort(a) })
	slices.Sort(b)
	wg.Wait()
	out := make([]string, 0, len(keys))
	for len(a) > 0 && len(b) > 0 {
		if strings.Compare(a[0], b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
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
