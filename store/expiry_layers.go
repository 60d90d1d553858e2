package store

import (
	"math"
	"slices"
)

// The deadlines under images, as the KV's map under them (image.go): an
// image shares the base map of deadlines and the frozen layers above it,
// which nothing changes while an image is open; the owner writes to its
// overlay meanwhile, and folds layers and overlay back into the base in
// steps once no image is open (fold, through KV.fold). No image copies
// the deadlines.

// get returns key's deadline as the owner sees it: the overlay, the
// layers newest first, then the base.
func (x *expiry) get(key string) (dl, bool) {
	if x.ovl != nil {
		if d, ok := x.ovl[key]; ok {
			return d, d.e != nil
		}
		return lookupDl(x.at, x.layers, key)
	}
	d, ok := x.at[key]
	return d, ok
}

// lookupDl returns key's deadline in base under layers, newest first.
func lookupDl(base map[string]dl, layers []map[string]dl, key string) (dl, bool) {
	for i := len(layers) - 1; i >= 0; i-- {
		if d, ok := layers[i][key]; ok {
			return d, d.e != nil
		}
	}
	d, ok := base[key]
	return d, ok
}

// put records key's deadline d: in the overlay while an image is open
// (shared), else in the base.
func (x *expiry) put(key string, d dl, shared bool) {
	if x.ovl != nil && shared {
		x.ovl[key] = d
		return
	}
	x.at[key] = d
	if x.ovl != nil {
		x.unshadow(key)
	}
}

// del drops key's deadline, as put records one.
func (x *expiry) del(key string, shared bool) {
	if x.ovl != nil && shared {
		x.ovl[key] = dl{}
		return
	}
	delete(x.at, key)
	if x.ovl != nil {
		x.unshadow(key)
	}
}

// unshadow removes key from the layers and the overlay, once no image
// shares them, so that what the base holds for it shows.
func (x *expiry) unshadow(key string) {
	delete(x.ovl, key)
	for _, l := range x.layers {
		delete(l, key)
	}
}

// fold moves up to foldStep entries of the layers, oldest first, then of
// the overlay into the base, once no image is open (the caller checks),
// and reports whether any remain.
func (x *expiry) fold() bool {
	i := 0
	move := func(k string, d dl) {
		if d.e == nil {
			delete(x.at, k)
		} else {
			x.at[k] = d
		}
	}
	for len(x.layers) > 0 {
		l := x.layers[0]
		for k, d := range l {
			if i == foldStep {
				return true
			}
			move(k, d)
			delete(l, k)
			i++
		}
		x.layers[0] = nil
		x.layers = x.layers[1:]
	}
	x.layers = nil
	for k, d := range x.ovl {
		if i == foldStep {
			return true
		}
		move(k, d)
		delete(x.ovl, k)
		i++
	}
	x.ovl = nil
	return false
}

// imageExpiry is what an image knows of deadlines: the base and the layers
// as they were when it was taken (nothing changes them while it is open),
// and the clock to read them against. Only dl.at, and whether dl.e is
// nil, is read from them: what e points to is the owner's.
type imageExpiry struct {
	at     map[string]dl
	layers []map[string]dl
	clock  func() int64
	// low is at or before every deadline the image holds: the heap's root
	// when it was taken. Until the clock reaches it nothing in the image
	// has expired, and reads look no deadline up.
	low int64
}

// freezeExp returns the deadlines for a new image: the overlay becomes a
// layer the image shares, and the owner starts a new one.
func (kv *KV) freezeExp() *imageExpiry {
	x := kv.exp
	if x == nil {
		return nil
	}
	switch {
	case x.ovl == nil:
		x.ovl = make(map[string]dl)
	case len(x.ovl) > 0:
		x.layers = append(x.layers, x.ovl)
		x.ovl = make(map[string]dl)
	}
	kv.now() // sets the default clock, if none yet
	low := int64(math.MaxInt64)
	if len(x.heap) > 0 {
		low = x.heap[0].low
	}
	return &imageExpiry{at: x.at, layers: slices.Clip(x.layers), clock: kv.clock, low: low}
}

// expired reports whether key's deadline is at or before now.
func (x *imageExpiry) expired(key string, now int64) bool {
	if now < x.low {
		return false
	}
	d, ok := lookupDl(x.at, x.layers, key)
	return ok && d.at <= now
}

// expiredCount returns how many of the image's deadlines are at or before
// now: each key's newest entry, in a layer or else in the base, counts
// once. It compares the deadline first and looks for a newer entry only
// for one that has passed, and builds nothing.
func (x *imageExpiry) expiredCount(now int64) int {
	shadowed := func(key string, above int) bool {
		for _, l := range x.layers[above:] {
			if _, ok := l[key]; ok {
				return true
			}
		}
		return false
	}
	n := 0
	for i, l := range x.layers {
		for k, d := range l {
			if d.e != nil && d.at <= now && !shadowed(k, i+1) {
				n++
			}
		}
	}
	for k, d := range x.at {
		if d.at <= now && !shadowed(k, 0) {
			n++
		}
	}
	return n
}

// Deadline implements KVImage.
func (im *image) Deadline(key string) int64 {
	if im.exp == nil {
		return 0
	}
	d, _ := lookupDl(im.exp.at, im.exp.layers, key)
	return d.at
}

// LiveLen implements KVImage. With deadlines, once one may have passed, it
// looks at each of them.
func (im *image) LiveLen() int {
	if im.exp == nil {
		return im.n
	}
	now := im.exp.clock()
	if now < im.exp.low {
		return im.n
	}
	return im.n - im.exp.expiredCount(now)
}

// Live implements KVImage.
func (im *image) Live(yield func(string, []byte) bool) {
	if im.exp == nil {
		im.All(yield)
		return
	}
	now := im.exp.clock()
	if now < im.exp.low {
		im.All(yield)
		return
	}
	for k, v := range im.All {
		if !im.exp.expired(k, now) && !yield(k, v) {
			return
		}
	}
}
