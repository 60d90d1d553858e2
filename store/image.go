package store

import (
	"errors"
	"maps"
)

// Image is a point-in-time view of a machine's state as a sequence of
// records. An image may be read from any goroutines, concurrently, while
// the owner goes on applying commands; reading it never blocks the owner.
type Image interface {
	// Len returns the number of records All yields.
	Len() int
	// All yields every record once, in no particular order.
	All(yield func(key string, value []byte) bool)
}

// Snapshotter is implemented by machines whose state can be imaged, saved
// and restored. The engine calls Freeze and the release it returns from the
// owner goroutine only, and Restore only before Start.
type Snapshotter interface {
	// Freeze returns an image of the state as it is now. The owner calls
	// release once nobody reads the image any more.
	Freeze() (img Image, release func(), err error)
	// Restore replaces the state with the n records that records yields,
	// as saved from an image.
	Restore(n int, records func(yield func(key, value []byte) bool)) error
}

// Folder is implemented by machines that defer work after an image is
// released. The engine calls Fold from the owner goroutine between batches
// of requests until it returns false.
type Folder interface {
	// Fold does a bounded step of the deferred work and reports whether
	// any remains.
	Fold() (more bool)
}

// foldStep is the most overlay entries one Fold moves into the base map.
// Moving one costs a write to the base map and a delete from the overlay,
// both cache misses in a large map: about 0.5 µs each measured on a 1M-key
// store (BenchmarkSnapshotPause), so a step takes about 0.5 ms, with room
// to spare under the 5 ms pause target on a busy machine.
const foldStep = 1024

var (
	_ Snapshotter = (*KV)(nil)
	_ Folder      = (*KV)(nil)
)

// image is a point-in-time view of a KV: its base map as it was frozen and
// a copy of the overlay at that moment. Neither changes while it is open.
type image struct {
	m   map[string][]byte
	ovl map[string]slot
	n   int
}

// Len implements Image.
func (im *image) Len() int { return im.n }

// Get returns the value of key in the image.
func (im *image) Get(key string) ([]byte, bool) {
	if s, ok := im.ovl[key]; ok {
		return s.v, !s.gone
	}
	v, ok := im.m[key]
	return v, ok
}

// All implements Image.
func (im *image) All(yield func(string, []byte) bool) {
	for k, v := range im.m {
		if s, ok := im.ovl[k]; ok {
			if s.gone {
				continue
			}
			v = s.v
		}
		if !yield(k, v) {
			return
		}
	}
	for k, s := range im.ovl {
		if s.gone {
			continue
		}
		if _, ok := im.m[k]; ok {
			continue // yielded above
		}
		if !yield(k, s.v) {
			return
		}
	}
}

// KVImage is what KV.Freeze returns: an Image that also answers lookups.
type KVImage interface {
	Image
	// Get returns the value of key in the image.
	Get(key string) ([]byte, bool)
}

// Freeze implements Snapshotter. It costs a copy of the overlay, which
// holds only the changes made while another image was open and not yet
// folded back; the base map is shared, not copied.
func (kv *KV) Freeze() (Image, func(), error) {
	im := &image{m: kv.m, n: kv.size()}
	if len(kv.ovl) > 0 {
		im.ovl = maps.Clone(kv.ovl)
	}
	if kv.ovl == nil {
		kv.ovl, kv.n = make(map[string]slot), len(kv.m)
	}
	kv.shared++
	gen := kv.gen
	released := false
	release := func() {
		if released {
			return
		}
		released = true
		if kv.gen == gen {
			kv.shared--
		}
	}
	return im, release, nil
}

// Fold implements Folder: once no image shares the base map, it moves up to
// foldStep overlay entries into it.
func (kv *KV) Fold() bool {
	if kv.ovl == nil || kv.shared > 0 {
		return false
	}
	i := 0
	for k, s := range kv.ovl {
		if i == foldStep {
			return true
		}
		if s.gone {
			delete(kv.m, k)
		} else {
			kv.m[k] = s.v
		}
		delete(kv.ovl, k)
		i++
	}
	kv.ovl, kv.n = nil, 0
	return false
}

// errRestore is returned by Restore for records that do not fit the state.
var errRestore = errors.New("store: snapshot does not fit the key-value state")

// Restore implements Snapshotter. It replaces the map with one sized for
// n keys. Values alias the records' bytes.
func (kv *KV) Restore(n int, records func(yield func(key, value []byte) bool)) error {
	if n < 0 {
		return errRestore
	}
	m := make(map[string][]byte, n)
	count := 0
	for k, v := range records {
		m[string(k)] = v
		count++
	}
	if count != n || len(m) != n {
		return errRestore // not n records, or a duplicate key: no image yields one
	}
	// A new generation: the release of an image of the old state must not
	// count against the new map.
	*kv = KV{m: m, gen: kv.gen + 1}
	return nil
}
