package store

// deleteRange applies an OpDeleteRange: it deletes every key in [start,
// end) ("" end: no end), expired or not, with their deadlines, as one
// step. Result.N counts the keys deleted that had not expired, those a
// caller could see. Replay applies it the same way: the journal is in
// order, so the keys in the range then are the keys that were in it when
// it was first applied.
//
// It takes the owner for as long as the deletes take: 3.8 s for a million
// keys on a loaded machine (BenchmarkDeleteRange: see the README's "Range
// scans and range deletes"), while every other request waits.
func (kv *KV) deleteRange(start, end string) (Result, bool, error) {
	if !validRange(start, []byte(end)) {
		return Result{}, false, errBadRange
	}
	keys := kv.rangeKeys(start, end)
	n := 0
	for _, k := range keys {
		if kv.exp == nil || !kv.expired(k) {
			n++
		}
		kv.del(k)
	}
	return Result{N: n}, len(keys) > 0, nil
}
