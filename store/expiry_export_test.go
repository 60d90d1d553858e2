package store

import "fmt"

// SetLenBudget sets how many heap nodes QueryLen visits before it gives up
// (lenBudget) and returns a function that restores it.
func SetLenBudget(n int) (restore func()) {
	was := lenBudget
	lenBudget = n
	return func() { lenBudget = was }
}

// TimersMeasure reports whether the owner trusts kv's expiry timer.
func TimersMeasure(kv *KV) bool { return kv.timersMeasure() }

// CheckDeadlines checks kv's heap of deadlines against its entries: a key
// has a heap entry, found by key, exactly when its entry has a deadline,
// at or after the heap entry's low; each heap entry knows its index; and
// the heap is ordered.
func CheckDeadlines(kv *KV) error {
	timed := 0
	for k, e := range kv.allEntries {
		if e.at == 0 {
			continue
		}
		timed++
		if kv.exp == nil {
			return fmt.Errorf("%q has deadline %d and there is no heap", k, e.at)
		}
		d := kv.exp.nodes[k]
		switch {
		case d == nil:
			return fmt.Errorf("%q has deadline %d and no heap entry", k, e.at)
		case d.key != k || d.low > e.at:
			return fmt.Errorf("%q (deadline %d) has heap entry %q low %d", k, e.at, d.key, d.low)
		}
	}
	if kv.exp == nil {
		return nil
	}
	x := kv.exp
	if len(x.nodes) != timed || len(x.heap) != timed {
		return fmt.Errorf("%d keys have a deadline, %d heap entries by key, %d in the heap", timed, len(x.nodes), len(x.heap))
	}
	for i, d := range x.heap {
		if d.i != i || x.nodes[d.key] != d {
			return fmt.Errorf("heap entry %d (%q) says index %d or is not the key's", i, d.key, d.i)
		}
		if i > 0 && x.heap[(i-1)/2].low > d.low {
			return fmt.Errorf("heap entry %d (%q, low %d) under a later one", i, d.key, d.low)
		}
	}
	return nil
}
