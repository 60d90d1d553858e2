package store

import "math"

// Deadlines in images: an image shares the KV's map and layers, whose
// entries carry the keys' deadlines (entry, kv.go), so it sees them as
// they were when it was taken, as it sees the values. All it needs besides
// is the clock to read them against, and a bound that spares reads the
// clock's reading while nothing can have expired.

// imageExpiry is what an image knows of deadlines besides its entries.
type imageExpiry struct {
	clock func() int64
	// low is at or before every deadline the image holds: the heap's root
	// when it was taken. Until the clock reaches it nothing in the image
	// has expired, and LiveLen and Live look at no deadline.
	low int64
}

// freezeExp returns the deadlines' part of a new image, or nil if no key
// has ever had a deadline.
func (kv *KV) freezeExp() *imageExpiry {
	x := kv.exp
	if x == nil {
		return nil
	}
	kv.now() // sets the default clock, if none yet
	low := int64(math.MaxInt64)
	if len(x.h) > 0 {
		low = x.h[0].low
	}
	return &imageExpiry{clock: kv.clock, low: low}
}

// expiredAt reports whether e has a deadline at or before now.
func (e entry) expiredAt(now int64) bool { return e.at != 0 && e.at <= now }

// Deadline implements KVImage.
func (im *image) Deadline(key string) int64 {
	e, _ := lookupEntry(im.m, im.layers, key)
	return e.at
}

// LiveLen implements KVImage. With deadlines, once one may have passed, it
// looks at every entry of the image: it runs in its caller's goroutine
// (View.Len, and DB.Len while more keys are due than the owner counts in
// a turn), never in the owner's.
func (im *image) LiveLen() int {
	if im.exp == nil {
		return im.n
	}
	now := im.exp.clock()
	if now < im.exp.low {
		return im.n
	}
	n := im.n
	for _, e := range im.entries {
		if e.expiredAt(now) {
			n--
		}
	}
	return n
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
	for k, e := range im.entries {
		if !e.expiredAt(now) && !yield(k, e.v()) {
			return
		}
	}
}
