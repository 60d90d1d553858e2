package store

import "unsafe"

// A key's entry in the KV's maps, and how the KV reads and writes it: the
// lookup through the overlay and the frozen layers to the base map, and
// the one write that replaces a key's value and deadline together,
// keeping the count of keys and bytes, the ordered index and the heap of
// deadlines in step.

// entry is what the map holds for a key: its value and its deadline.
//
// The deadline lives with the value, not in a map of its own beside it,
// so that a read finds both in one lookup and a write with a TTL stores
// both in one write, in the base map or in an overlay alike (issue 13's
// target: expiry costs Set and Get at most 10%). A map of deadlines
// beside the map of values, with layers and an overlay of its own, cost a
// set with a TTL a second lookup and a second write, each through those
// layers, and the owner a second fold (BenchmarkExpiryTurn: a set with a
// TTL took 1.4 to 1.9 times one without; with the deadline here, 0.9 to
// 1.2). The value is kept as a string (newEntry), so an entry takes the
// 24 bytes a []byte alone did: stores that never use expiry pay no room
// for it (heap/memory: 264 B per entry, as before; 281 B with a []byte
// and the deadline).
type entry struct {
	s  string // the value's bytes, not copied: see newEntry
	at int64  // the deadline, in Unix ns; 0: none
}

// newEntry returns the entry of value v with deadline at. It keeps v's
// bytes, not a copy, as a string: 16 bytes where a slice takes 24, so that
// the deadline beside it costs the map no room. The map's values are
// never changed in place (Command), which a string's bytes must not be.
func newEntry(v []byte, at int64) entry {
	return entry{s: unsafe.String(unsafe.SliceData(v), len(v)), at: at}
}

// v returns the value's bytes: those newEntry was given, but with no room
// beyond them (cap is len), so an append to a value read from the map
// copies it rather than writing past its end.
func (e entry) v() []byte { return unsafe.Slice(unsafe.StringData(e.s), len(e.s)) }

// slot is an overlay entry: a value and its deadline, or the deletion of
// the key.
type slot struct {
	entry
	gone bool
}

// get returns the value of key, unless it has expired.
func (kv *KV) get(key string) ([]byte, bool) {
	e, ok := kv.rawEntry(key)
	if !ok || kv.hidden(e) {
		return nil, false
	}
	return e.v(), true
}

// raw returns the value of key, expired or not.
func (kv *KV) raw(key string) ([]byte, bool) {
	e, ok := kv.rawEntry(key)
	return e.v(), ok
}

// rawEntry returns the entry of key, expired or not.
func (kv *KV) rawEntry(key string) (entry, bool) {
	if kv.ovl != nil {
		if s, ok := kv.ovl[key]; ok {
			return s.entry, !s.gone
		}
		return lookupEntry(kv.m, kv.layers, key)
	}
	e, ok := kv.m[key]
	return e, ok
}

// lookup returns the value of key in m under layers, newest layer first,
// expired or not.
func lookup(m map[string]entry, layers []map[string]slot, key string) ([]byte, bool) {
	e, ok := lookupEntry(m, layers, key)
	return e.v(), ok
}

// lookupEntry returns the entry of key in m under layers, newest layer
// first.
func lookupEntry(m map[string]entry, layers []map[string]slot, key string) (entry, bool) {
	if e, ok, in := lookupLayers(layers, key); in {
		return e, ok
	}
	e, ok := m[key]
	return e, ok
}

// lookupLayers returns the entry of key in the newest of layers that
// holds it, and whether one does (in); ok is false if that is a deletion.
func lookupLayers(layers []map[string]slot, key string) (e entry, ok, in bool) {
	for i := len(layers) - 1; i >= 0; i-- {
		if s, found := layers[i][key]; found {
			return s.entry, !s.gone, true
		}
	}
	return entry{}, false, false
}

// setAt sets key to v with the deadline at (0: none).
func (kv *KV) setAt(key string, v []byte, at int64) {
	old, had := kv.rawEntry(key)
	kv.write(key, old, had, newEntry(v, at))
}

// write replaces key's entry old (if had; the caller has just looked it
// up) with e: the count of keys and bytes, the ordered index and the heap
// of deadlines follow, and e goes in the base map or, while an image
// shares it, in the overlay.
func (kv *KV) write(key string, old entry, had bool, e entry) {
	if !had {
		kv.indexAdd(key)
		if kv.ovl != nil {
			kv.n++
		}
	}
	kv.account(key, old.v(), had, e.v())
	if e.at != old.at {
		kv.retime(key, old.at, e.at)
	}
	switch {
	case kv.ovl == nil:
		kv.baseChanged()
		kv.m[key] = e
	case kv.shared > 0:
		kv.ovl[key] = slot{entry: e}
	default:
		kv.baseChanged()
		kv.m[key] = e
		kv.unshadow(key)
	}
}

// baseChanged drops the scan cache before a change to the base map: the
// cache holds the map's values as images froze it (ordered_scancache.go).
// No image shares the map now, and the next gets a new cache.
func (kv *KV) baseChanged() {
	if kv.sc != nil {
		kv.sc = nil
	}
}

// unshadow removes key from the layers and the overlay, once no image
// shares them, so that what m holds for it shows.
func (kv *KV) unshadow(key string) {
	delete(kv.ovl, key)
	for _, l := range kv.layers {
		delete(l, key)
	}
}

// del deletes key, and its deadline, and reports whether it was there
// (expired or not).
func (kv *KV) del(key string) bool {
	_, had := kv.delEntry(key)
	return had
}

// delEntry deletes key and returns what it held, if it was there
// (expired or not).
func (kv *KV) delEntry(key string) (entry, bool) {
	old, had := kv.rawEntry(key)
	if !had {
		return old, false
	}
	if old.at != 0 {
		kv.retime(key, old.at, 0)
	}
	kv.bytes -= int64(len(key) + len(old.v()))
	kv.indexDrop(key)
	if kv.ovl == nil {
		kv.baseChanged()
		delete(kv.m, key)
		return old, true
	}
	kv.n--
	switch _, below := lookupEntry(kv.m, kv.layers, key); {
	case kv.shared == 0:
		kv.baseChanged()
		delete(kv.m, key)
		kv.unshadow(key)
	case below:
		kv.ovl[key] = slot{gone: true}
	default:
		delete(kv.ovl, key)
	}
	return old, true
}

// account counts, in kv.bytes, key's value becoming v (old, if had).
func (kv *KV) account(key string, old []byte, had bool, v []byte) {
	if had {
		kv.bytes += int64(len(v) - len(old))
	} else {
		kv.bytes += int64(len(key) + len(v))
	}
}
