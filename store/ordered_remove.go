package store

import "slices"

// Removal from the ordered index (ordered.go), as google/btree does it:
// on the way down, a child about to be descended into that holds only
// minItems keys first borrows a key from a sibling, or merges with one, so
// that the removal never has to climb back up.

// remove deletes key from the tree, if it is there.
func (t *ordered) remove(key string) {
	if t.root == nil {
		return
	}
	t.root = t.mutable(t.root)
	if _, ok := t.removeAt(t.root, key, false); ok {
		t.n--
	}
	if len(t.root.keys) == 0 {
		if t.root.kids != nil {
			t.root = t.root.kids[0]
		} else {
			t.root = nil
		}
	}
}

// removeAt deletes key (or, if max, the greatest key) from under the
// mutable node n, and returns the key it removed and whether it did.
func (t *ordered) removeAt(n *onode, key string, max bool) (string, bool) {
	for {
		var i int
		var found bool
		if max {
			i = len(n.keys)
			if n.kids == nil {
				i--
			}
		} else {
			i, found = n.search(key)
		}
		if n.kids == nil {
			if !found && !max {
				return "", false
			}
			k := n.keys[i]
			n.deleteKey(i)
			return k, true
		}
		if len(n.kids[i].keys) <= minItems {
			t.grow(n, i)
			continue // the keys have moved: look again
		}
		child := t.mutableKid(n, i)
		if found {
			// Replace key with its predecessor, the greatest key of the
			// child to its left, which can spare one.
			k := n.keys[i]
			pred, _ := t.removeAt(child, "", true)
			n.setKey(i, pred)
			return k, true
		}
		n = child
	}
}

// grow gives child i of the mutable inner node n more than minItems keys:
// it takes one from a sibling that can spare it, through n, or else
// merges the child with a sibling and the key between them.
func (t *ordered) grow(n *onode, i int) {
	switch {
	case i > 0 && len(n.kids[i-1].keys) > minItems:
		child, left := t.mutableKid(n, i), t.mutableKid(n, i-1)
		last := len(left.keys) - 1
		child.insertKey(0, n.keys[i-1])
		n.setKey(i-1, left.keys[last])
		left.deleteKey(last)
		if left.kids != nil {
			child.kids = slices.Insert(child.kids, 0, left.kids[last+1])
			left.kids[last+1] = nil
			left.kids = left.kids[:last+1]
		}
	case i < len(n.keys) && len(n.kids[i+1].keys) > minItems:
		child, right := t.mutableKid(n, i), t.mutableKid(n, i+1)
		child.insertKey(len(child.keys), n.keys[i])
		n.setKey(i, right.keys[0])
		right.deleteKey(0)
		if right.kids != nil {
			child.kids = append(child.kids, right.kids[0])
			right.kids = slices.Delete(right.kids, 0, 1)
		}
	default:
		if i >= len(n.keys) {
			i--
		}
		child, right := t.mutableKid(n, i), n.kids[i+1]
		child.keys = append(child.keys, n.keys[i])
		child.keys = append(child.keys, right.keys...)
		child.fix()
		if child.kids != nil {
			child.kids = append(child.kids, right.kids...)
		}
		n.deleteKey(i)
		n.kids = slices.Delete(n.kids, i+1, i+2)
	}
}
