package store

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randKey returns a key of 0 to 20 bytes from an alphabet that makes keys
// prefixes of one another, long runs of shared bytes, zero bytes (which
// the prefixes' padding must not confuse with an end) and 0xff.
func randKey(rng *rand.Rand) string {
	alphabet := "\x00\x01ab\xff"
	var b strings.Builder
	if rng.IntN(2) == 0 {
		b.WriteString("common-prefix-") // long shared runs: large skips
	}
	for range rng.IntN(21) {
		b.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

// TestOrderedPrefixModel checks the tree, its inline prefixes (checkTree)
// and its seeks against a sorted model, with keys that tie on their 8-byte
// prefixes, are prefixes of each other and hold zero bytes.
func TestOrderedPrefixModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var tr ordered
	model := map[string]bool{}
	for step := range 40000 {
		k := randKey(rng)
		if rng.IntN(100) < 60 {
			tr.insert(k)
			model[k] = true
		} else {
			tr.remove(k)
			delete(model, k)
		}
		if step%1999 == 0 {
			tr.freeze() // later changes copy nodes: the copies keep their prefixes
			want := slices.Sorted(maps.Keys(model))
			if got := checkTree(t, tr.root, tr.n); !slices.Equal(got, want) {
				t.Fatalf("step %d: tree holds %d keys, model %d", step, len(got), len(want))
			}
		}
	}
	want := slices.Sorted(maps.Keys(model))
	if got := checkTree(t, tr.root, tr.n); !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys, model %d", len(got), len(want))
	}
	for range 400 {
		start, end := randKey(rng), ""
		if rng.IntN(2) == 0 {
			end = randKey(rng)
		}
		for _, rev := range []bool{false, true} {
			got := slices.Collect(walk(tr.root, start, end, rev))
			if w := modelRange(want, start, end, rev); !slices.Equal(got, w) {
				t.Fatalf("walk(%q, %q, %v) = %d keys, want %d", start, end, rev, len(got), len(w))
			}
		}
	}
}

// The search of a node agrees with a binary search of its keys, for keys
// in the node and around them, whatever the skip.
func TestNodeSearch(t *testing.T) {
	keys := []string{"ab", "ab\x00", "ab\x00\x00", "ab\x00\x01", "abc", "abcdefghij", "abcdefghijk", "abcdefghik", "abd"}
	var n onode
	n.keys = keys
	n.fix()
	if n.skip != 2 {
		t.Fatalf("skip %d, want 2", n.skip)
	}
	probes := append(slices.Clone(keys), "", "a", "aa", "ab\x00\x00\x00", "abcdefghi", "abcdefghijj", "abe", "b", "\xff")
	for _, p := range probes {
		wi, wf := slices.BinarySearch(keys, p)
		if i, f := n.search(p); i != wi || f != wf {
			t.Errorf("search(%q) = %d, %v; want %d, %v", p, i, f, wi, wf)
		}
	}
}
