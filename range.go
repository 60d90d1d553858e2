package hurrah

import (
	"fmt"
	"iter"

	"github.com/hurrahdb/hurrah/store"
)

// Range scans: the keys of a View or of a Tx in byte order, from a start
// key to an end key, forward or back, with a limit. The store keeps its
// keys in an ordered index (a B-tree of the keys alone, changed only when
// a key is created or deleted), so a scan finds its start in O(log n) and
// costs a map lookup per key it yields, unless a View's earlier scans left
// the values it reads in the index's scan cache (store/ordered_scancache.go).

// RangeOptions shape a range scan. A nil *RangeOptions means the zero
// value: forward, no limit.
type RangeOptions struct {
	// Reverse yields the keys in decreasing order: from the last key
	// before end down to start.
	Reverse bool
	// Limit, if positive, is the most keys the scan yields. 0 means no
	// limit; a negative Limit is an ErrInvalidRange.
	Limit int
}

// checkRange checks a range's bounds and options: start at or before end
// (an empty end means no end), and a limit that is not negative.
func checkRange(start, end string, opts *RangeOptions) (RangeOptions, error) {
	var o RangeOptions
	if opts != nil {
		o = *opts
	}
	if end != "" && start > end {
		return o, fmt.Errorf("%w: start %q after end %q", ErrInvalidRange, start, end)
	}
	if o.Limit < 0 {
		return o, fmt.Errorf("%w: negative limit %d", ErrInvalidRange, o.Limit)
	}
	return o, nil
}

// limited yields what seq yields, up to limit pairs (no limit if 0).
func limited(seq iter.Seq2[string, []byte], limit int) iter.Seq2[string, []byte] {
	if limit == 0 {
		return seq
	}
	return func(yield func(string, []byte) bool) {
		n := 0
		for k, b := range seq {
			if !yield(k, b) {
				return
			}
			if n++; n == limit {
				return
			}
		}
	}
}

// Range yields the keys in [start, end) and their stored bytes, in
// increasing byte order of the keys or, with opts.Reverse, decreasing. An
// empty end means no end; Range("", "", nil) yields every key in order.
// Keys expired when the iteration starts are left out. Finding start costs
// O(log n); each key yielded costs a lookup, or less once scans of Views
// of the same, unchanged state have read it before (README, "Range
// scans"). A start after the end, or a negative limit, is an
// ErrInvalidRange. The iteration yields nothing after Close.
func (v *View) Range(start, end string, opts *RangeOptions) (iter.Seq2[string, []byte], error) {
	o, err := checkRange(start, end, opts)
	if err != nil {
		return nil, err
	}
	if err := v.check(); err != nil {
		return nil, err
	}
	return limited(func(yield func(string, []byte) bool) {
		for k, b := range v.img.Range(start, end, o.Reverse) {
			if v.check() != nil || !yield(k, b) {
				return
			}
		}
	}, o.Limit), nil
}

// sortedPrefix yields the keys that start with prefix, in order, for
// View.Sorted.
func (v *View) sortedPrefix(prefix string) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		for k, b := range v.img.Range(prefix, store.PrefixEnd(prefix), false) {
			if v.check() != nil || !yield(k, b) {
				return
			}
		}
	}
}
