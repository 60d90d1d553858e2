package hurrah

// Each watcher's copy of the values it reports. Watchers share one
// decoding of an entry (store.Ring.LookupChange), but a Change's Value is
// its caller's to keep or to change, so each watcher copies it: a small
// value into the watcher's current block of valueBlock bytes, one
// allocation for many values rather than one each. A consumer that keeps
// such a value keeps its block alive (at most valueBlock bytes); a larger
// value has an allocation of its own and keeps nothing else alive.

const (
	// valueBlock is the size of the blocks small values are copied into.
	valueBlock = 4 << 10
	// maxBlockValue is the largest value copied into a block.
	maxBlockValue = 256
)

// values copies the values one watcher reports. It belongs to the
// watcher's goroutine.
type values struct {
	block []byte // the current block: its free room is block[len(block):cap(block)]
}

// copy returns a copy of v, never nil (an empty value reads as empty, not
// missing), whose capacity ends with it: a caller appending to it
// reallocates rather than writing over the next value.
func (vs *values) copy(v []byte) []byte {
	if len(v) == 0 {
		return []byte{}
	}
	if len(v) > maxBlockValue {
		return append(make([]byte, 0, len(v)), v...)
	}
	if cap(vs.block)-len(vs.block) < len(v) {
		vs.block = make([]byte, 0, valueBlock)
	}
	n := len(vs.block)
	vs.block = append(vs.block, v...)
	return vs.block[n:len(vs.block):len(vs.block)]
}
