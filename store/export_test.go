package store

// Internals the external tests look at.

// FoldStep is the most overlay entries one Fold moves.
const FoldStep = foldStep

// QueryKeys asks for every key, in no particular order.
const QueryKeys = queryKeys

// Fold does a step of folding kv's overlay back into its base map and
// reports whether any remains.
func Fold(kv *KV) bool { return kv.fold() }

// CanFold reports whether Fold has work it can do now.
func CanFold(kv *KV) bool { return kv.canFold() }

// OverlayLen returns the number of entries in kv's overlay and layers.
func OverlayLen(kv *KV) int {
	n := len(kv.ovl)
	for _, l := range kv.layers {
		n += len(l)
	}
	return n
}

// Layers returns how many frozen layers kv has.
func Layers(kv *KV) int { return len(kv.layers) }

// HasOverlay reports whether kv has an overlay at all (nil once folded).
func HasOverlay(kv *KV) bool { return kv.ovl != nil }

// SharedImages returns how many open images kv counts as sharing its base
// map.
func SharedImages(kv *KV) int { return kv.shared }

// Size returns the number of keys kv holds.
func Size(kv *KV) int { return kv.size() }

// DecodeCommand parses a journaled key-value command (decodeCommand), for
// the external tests that build engines with New or check the codec.
var DecodeCommand = decodeCommand

// ExpireStep is the most keys one ExpireDue removes.
const ExpireStep = expireStep

// ExpireDue runs a step of kv's expiry (expireDue).
func ExpireDue(kv *KV) ([]byte, int64, bool) { return kv.expireDue() }

// WakeArmed reports whether r's timer is armed to wake its waiters.
func WakeArmed(r *Ring) bool { return r.wakes.armed.Load() }

// WakeArms returns how many times r's wake-up timer was armed.
func WakeArms(r *Ring) uint64 { return r.wakes.arms.Load() }
