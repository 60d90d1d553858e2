package hurrah

import (
	"iter"
	"slices"
)

// Range yields the keys in [start, end) and their stored bytes in key
// order, as View.Range does, as the transaction sees them: the store's
// keys with the transaction's own writes so far applied over them (a key
// it set is yielded with its new value, a key it deleted is not). The
// iteration must run inside the transaction's function, and the function
// must not write while it runs (collect the keys, then write): writes made
// during the loop may or may not be seen. After the function returns the
// iteration yields nothing.
func (tx *Tx) Range(start, end string, opts *RangeOptions) (iter.Seq2[string, []byte], error) {
	if tx.done {
		return nil, ErrTxDone
	}
	o, err := checkRange(start, end, opts)
	if err != nil {
		return nil, err
	}
	return limited(func(yield func(string, []byte) bool) {
		if tx.done {
			return
		}
		tx.merged(start, end, o.Reverse, yield)
	}, o.Limit), nil
}

// merged yields the committed keys in [start, end) merged with the keys
// the transaction has written there, the latter as tx.get sees them.
func (tx *Tx) merged(start, end string, reverse bool, yield func(string, []byte) bool) {
	var pend []string
	for k := range tx.writes {
		if k >= start && (end == "" || k < end) {
			pend = append(pend, k)
		}
	}
	slices.Sort(pend)
	before := func(a, b string) bool { return a < b }
	if reverse {
		slices.Reverse(pend)
		before = func(a, b string) bool { return a > b }
	}
	// own yields the transaction's write of key, unless it deleted key.
	own := func(k string) bool {
		b, ok := tx.get(k)
		return !ok || yield(k, b)
	}
	i := 0
	for k, b := range tx.db.kv.Range(start, end, reverse) {
		for ; i < len(pend) && before(pend[i], k); i++ {
			if tx.done || !own(pend[i]) {
				return
			}
		}
		if i < len(pend) && pend[i] == k {
			i++
			if !own(k) {
				return
			}
			continue
		}
		if tx.done || !yield(k, b) {
			return
		}
	}
	for ; i < len(pend); i++ {
		if tx.done || !own(pend[i]) {
			return
		}
	}
}
