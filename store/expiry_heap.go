package store

// The heap of deadlines, by value: a slice of (key, low) ordered on low,
// and a map from each key to its index in the slice. It holds no pointer
// but the keys' (strings the value map holds already) and no object per
// key: the collector, which marks the whole heap of the process at each
// cycle, has two pointers a key to follow here. A heap of pointers to an
// entry per key, found by key through a map of pointers, gave it four and
// an object: with 100k keys with deadlines, a Get through the API, whose
// copy of the value drives the collector, cost about 1.2 times one on a
// store without deadlines in CPU time, and 1.01 to 1.04 with the
// collector off (BenchmarkExpiryCost's workload).
//
// The price is a map write for each entry that moves, which only pushing,
// removing, bringing forward and expiring pay: a refresh that pushes a
// deadline back does no heap work (deadline).

// deadlines is a min-heap of deadline on low, with each key's index.
type deadlines struct {
	h   []deadline
	idx map[string]int // the index in h of each key's entry
}

// put places d at index i.
func (x *deadlines) put(i int, d deadline) {
	x.h[i] = d
	x.idx[d.key] = i
}

// push adds key's entry, at low.
func (x *deadlines) push(key string, low int64) {
	x.h = append(x.h, deadline{key: key, low: low})
	x.up(len(x.h) - 1)
}

// remove drops key's entry, which the heap holds.
func (x *deadlines) remove(key string) {
	i, last := x.idx[key], len(x.h)-1
	delete(x.idx, key)
	d := x.h[last]
	x.h[last] = deadline{} // let the key go
	x.h = x.h[:last]
	if i != last {
		x.put(i, d)
		x.down(i)
		x.up(x.idx[d.key])
	}
}

// lower brings key's entry forward to low, if it is later.
func (x *deadlines) lower(key string, low int64) {
	if i := x.idx[key]; low < x.h[i].low {
		x.h[i].low = low
		x.up(i)
	}
}

// raiseRoot moves the root's entry back to low, no earlier than it was.
func (x *deadlines) raiseRoot(low int64) {
	x.h[0].low = low
	x.down(0)
}

// up moves the entry at i up to its place.
func (x *deadlines) up(i int) {
	d := x.h[i]
	for i > 0 {
		p := (i - 1) / 2
		if x.h[p].low <= d.low {
			break
		}
		x.put(i, x.h[p])
		i = p
	}
	x.put(i, d)
}

// down moves the entry at i down to its place.
func (x *deadlines) down(i int) {
	d, n := x.h[i], len(x.h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && x.h[c+1].low < x.h[c].low {
			c++
		}
		if x.h[c].low >= d.low {
			break
		}
		x.put(i, x.h[c])
		i = c
	}
	x.put(i, d)
}

// restoreExp returns the heap of the deadlines h, in any order, or nil if
// there are none. It costs a map write per key and O(len(h)) moves.
func restoreExp(h []deadline) *expiry {
	if len(h) == 0 {
		return nil
	}
	x := &expiry{deadlines{h: h, idx: make(map[string]int, len(h))}}
	for i, d := range h {
		x.idx[d.key] = i
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		x.down(i)
	}
	return x
}
