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
// has a heap entry exactly when its entry has a deadline, at or after the
// heap entry's low; the heap knows each entry's index; and it is ordered.
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
		i, ok := kv.exp.idx[k]
		switch {
		case !ok || i >= len(kv.exp.h):
			return fmt.Errorf("%q has deadline %d and no heap entry", k, e.at)
		case kv.exp.h[i].key != k || kv.exp.h[i].low > e.at:
			return fmt.Errorf("%q (deadline %d) has heap entry %q low %d", k, e.at, kv.exp.h[i].key, kv.exp.h[i].low)
		}
	}
	if kv.exp == nil {
		return nil
	}
	x := kv.exp
	if len(x.idx) != timed || len(x.h) != timed {
		return fmt.Errorf("%d keys have a deadline, %d heap indexes, %d heap entries", timed, len(x.idx), len(x.h))
	}
	for i, d := range x.h {
		if x.idx[d.key] != i {
			return fmt.Errorf("heap entry %d (%q) is indexed at %d", i, d.key, x.idx[d.key])
		}
		if i > 0 && x.h[(i-1)/2].low > d.low {
			return fmt.Errorf("heap entry %d (%q, low %d) under a later one", i, d.key, d.low)
		}
	}
	return nil
}
