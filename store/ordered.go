package store

import (
	"slices"
	"sync/atomic"
)

// The ordered index: the KV's keys, and only its keys, in increasing byte
// order, in a copy-on-write B-tree, so that a range scan finds its start in
// O(log n) and then walks the keys in order, looking each value up in the
// map. The tree changes only when a key is created or removed: an
// overwrite, the commonest write, leaves it alone. A key in the tree is the
// very string the map holds (the same bytes, no copy), so an entry costs
// the tree a 16-byte string header, plus the nodes' slack.
//
// Freezing is O(1): an image takes the root, and the KV takes a new owner
// token, so that its next write to a node the image shares copies that
// node first (and the path down to it), the way google/btree's Clone and
// tidwall/btree's Copy work. Nodes carry the token of the tree that may
// change them in place. Only the owner goroutine writes; an image only
// reads nodes nobody writes any more.
//
// Why a B-tree of keys alone, and why by hand (cbor, x/exp and the
// standard library are the only dependencies allowed): measured on a
// 1M-key store (bench/ heap/memory, README "Range scans and range
// deletes"), it adds 55 bytes per entry to the 228 of a plain
// map[string][]byte with 16-byte keys and 100-byte values (1.24x, the
// target being 1.3x), and it costs a new key a descent of four nodes, each
// a binary search of up to 63 keys' inline prefixes (ordered_node.go),
// merged in sorted batches (ordered_pending.go), and an overwrite nothing. The issue
// measured a B-tree or a HAMT of keys and values republished after every
// owner batch at 3-80 µs and 2-7 KB per written key; an index of keys
// updated in place between freezes, and copied only along the paths
// written after one, does not pay that. What it does pay: a range scan
// looks each value up in the map (README).

// Node sizes: a node holds between minItems and maxItems keys (the root
// fewer), and an inner node one child more than keys. 63 keys of 16 bytes
// fill a kilobyte, a few cache lines' search; google/btree's default
// degree of 32 gives the same.
const (
	maxItems = 63
	minItems = maxItems / 2
)

// cowToken marks the nodes a tree may change in place. It is never empty,
// so that two tokens have distinct addresses.
type cowToken struct{ _ byte }

// onode is a node of the B-tree: keys in order and, in an inner node,
// the children, kids[i] holding the keys between keys[i-1] and keys[i].
type onode struct {
	vtag atomic.Uint64 // where a scan cache holds the node's values (ordered_scancache.go)
	id   uint64        // the node's number, unique: a scan cache's slot names its node by it
	cow  *cowToken
	keys []string
	kids []*onode  // nil in a leaf
	skip int       // the keys' first skip bytes are the same (ordered_node.go)
	lead [2]uint64 // the first 16 of those bytes, big-endian, zero past skip
	pfx  [maxItems]uint64
}

// nodeIDs numbers the nodes (onode.id). Atomic: a background build
// (ordered_background.go) and a merge (ordered_merge.go) make nodes on
// goroutines of their own.
var nodeIDs atomic.Uint64

// ordered is the owner's B-tree. Its zero value is an empty tree.
type ordered struct {
	root *onode
	n    int       // keys in the tree, the pending changes left out
	cow  *cowToken // nodes with this token are the tree's to change
	pend []pendOp  // creations and removals not merged yet (ordered_pending.go)
	bg   *ordMerge // a merge on a goroutine of its own; the tree is its own until wait (ordered_merge.go)
	idle []pendOp  // the buffer the last merge emptied, for reuse
}

// ordView is a frozen tree: nothing changes it.
type ordView struct {
	root *onode
	n    int
}

// freeze returns a view of the tree as it is, with the pending changes
// merged, and makes every node it has shared: the tree copies a node
// before its next change to it.
func (t *ordered) freeze() ordView {
	t.flush()
	t.cow = nil
	return ordView{root: t.root, n: t.n}
}

// newNode returns an empty node the tree may change, a leaf unless inner.
func (t *ordered) newNode(inner bool) *onode {
	if t.cow == nil {
		t.cow = new(cowToken)
	}
	n := &onode{id: nodeIDs.Add(1), cow: t.cow, keys: make([]string, 0, maxItems)}
	if inner {
		n.kids = make([]*onode, 0, maxItems+1)
	}
	return n
}

// mutable returns n if the tree may change it, else a copy that it may.
func (t *ordered) mutable(n *onode) *onode {
	if n.cow != nil && n.cow == t.cow {
		return n
	}
	c := t.newNode(n.kids != nil)
	c.keys = append(c.keys, n.keys...)
	c.skip, c.lead, c.pfx = n.skip, n.lead, n.pfx
	if n.kids != nil {
		c.kids = append(c.kids, n.kids...)
	}
	return c
}

// mutableKid returns n's child i, made mutable and stored back in n, which
// must be mutable.
func (t *ordered) mutableKid(n *onode, i int) *onode {
	c := t.mutable(n.kids[i])
	n.kids[i] = c
	return c
}

// insert adds key, which must not be in the tree (the map says so).
func (t *ordered) insert(key string) { t.insertNear(key, nil) }

// insertNear is insert, which, if f is not nil, puts key straight into
// the leaf f points to if it bounds key, and else points f to the leaf it
// reaches (ordered_merge.go).
func (t *ordered) insertNear(key string, f *finger) {
	if f != nil && f.holds(key) {
		if i, found := f.leaf.search(key); !found {
			f.leaf.insertKey(i, key)
			t.n++
		}
		return
	}
	if t.root == nil {
		t.root = t.newNode(false)
	}
	t.root = t.mutable(t.root)
	if len(t.root.keys) >= maxItems {
		mid, right := t.split(t.root, maxItems/2)
		old := t.root
		t.root = t.newNode(true)
		t.root.insertKey(0, mid)
		t.root.kids = append(t.root.kids, old, right)
	}
	if t.insertAt(t.root, key, f) {
		t.n++
	}
}

// insertAt adds key under the mutable, not full, node n, splitting full
// nodes on the way down, and points f, if not nil, to the leaf it reaches.
// It reports false if key was there already.
func (t *ordered) insertAt(n *onode, key string, f *finger) bool {
	if f != nil {
		*f = finger{}
	}
	for {
		i, found := n.search(key)
		if found {
			return false
		}
		if n.kids == nil {
			n.insertKey(i, key)
			if f != nil {
				f.leaf = n
			}
			return true
		}
		if len(n.kids[i].keys) >= maxItems {
			mid, right := t.split(t.mutableKid(n, i), maxItems/2)
			n.insertKey(i, mid)
			n.kids = slices.Insert(n.kids, i+1, right)
			switch {
			case key == mid:
				return false
			case key > mid:
				i++
			}
		}
		if f != nil {
			f.narrow(n.keys, i)
		}
		n = t.mutableKid(n, i)
	}
}

// split splits the mutable node n at key i: n keeps the keys before it,
// and split returns key i and a new node of the keys after it. Each half
// takes the longest skip its keys share (refit): the halves of a node
// that took a key far from the others (the first new key past the end of
// a run, say) may share more than the node did, and with n's skip their
// prefixes would all tie.
func (t *ordered) split(n *onode, i int) (string, *onode) {
	mid := n.keys[i]
	right := t.newNode(n.kids != nil)
	right.keys = append(right.keys, n.keys[i+1:]...)
	right.skip, right.lead = n.skip, n.lead
	copy(right.pfx[:], n.pfx[i+1:len(n.keys)])
	clear(n.pfx[i:len(n.keys)])
	clear(n.keys[i:])
	n.keys = n.keys[:i]
	n.refit()
	right.refit()
	if n.kids != nil {
		right.kids = append(right.kids, n.kids[i+1:]...)
		clear(n.kids[i+1:])
		n.kids = n.kids[:i+1]
	}
	return mid, right
}
