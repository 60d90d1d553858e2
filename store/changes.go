package store

import (
	"errors"
	"fmt"
	"unsafe"
)

// What a journaled key-value command changed, for the change feed: a set, a
// delete, a clear, or each mutation of a batch in turn.

// ErrUnknownChange is returned by Changes for a journaled operation it does
// not know how to report. It refuses rather than skips: a feed that left out
// a change would let a consumer drift from the store without a sign.
var ErrUnknownChange = errors.New("store: journaled operation the change feed does not know")

// Change is one key's change: OpSet with the key's new value (and its
// deadline, if it was set with one), OpDelete, OpClear (every key deleted;
// Key is empty), OpExpireAt (the key's deadline changed to At, or dropped
// if At is 0), OpExpire (the owner removed the key: its deadline had
// passed) or OpDeleteRange (every key from Key up to End deleted, as one
// change: the journal records the range, not the keys).
type Change struct {
	Op    Op
	Key   string
	Value []byte // OpSet only: the stored bytes
	At    int64  // OpSet and OpExpireAt: the deadline in Unix ns, or 0 for none
	End   string // OpDeleteRange: the end of the range, excluded ("" none)
}

// Changes appends to dst the changes the journaled key-value command data
// made, in the order it made them, and returns the extended slice. Values
// are copies: they do not alias data. Bytes that do not decode are an error
// as in replay; an operation Changes does not know wraps ErrUnknownChange.
// It never panics.
func Changes(dst []Change, data []byte) ([]Change, error) {
	if op, key, value, ok := parseSimple(data); ok && (op == OpSet || op == OpDelete) {
		return append(dst, ownedChange(op, key, value)), nil // most entries: one write
	}
	return decodedChanges(dst, data)
}

// decodedChanges is Changes for what its fast path does not take, through
// decodeCommand: it takes that too, with the same result.
func decodedChanges(dst []Change, data []byte) ([]Change, error) {
	c, err := decodeCommand(data)
	if err != nil {
		return dst, err
	}
	switch c.Op {
	case OpSet, OpDelete, OpSetAt:
		return append(dst, mutationChange(c.Op, c.Key, c.Value, c.At)), nil
	case OpExpireAt:
		return append(dst, Change{Op: OpExpireAt, Key: c.Key, At: c.At}), nil
	case OpClear:
		return append(dst, Change{Op: OpClear}), nil
	case OpDeleteRange:
		return append(dst, Change{Op: OpDeleteRange, Key: c.Key, End: string(c.Value)}), nil
	case OpBatch, OpExpire:
		for i, m := range c.Batch {
			ok := m.Op == OpSet || m.Op == OpDelete || m.Op == OpSetAt
			if c.Op == OpExpire {
				ok = m.Op == OpDelete
			}
			if !ok {
				return dst, fmt.Errorf("%w: mutation %d of op %d has op %d", ErrUnknownChange, i, c.Op, m.Op)
			}
			ch := mutationChange(m.Op, m.Key, m.Value, m.At)
			if c.Op == OpExpire {
				ch.Op = OpExpire
			}
			dst = append(dst, ch)
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%w: op %d", ErrUnknownChange, c.Op)
}

// maxSharedValue is the largest value a set's change puts in one
// allocation with its key: a caller that keeps the key and drops the value
// keeps at most this many bytes more alive. A larger value costs the
// second allocation, which its copy outweighs anyway.
const maxSharedValue = 256

// ownedChange is the change of a set or a delete of key, as
// mutationChange makes it, copied out of the entry that holds key and
// value: a set's key and a value of up to maxSharedValue bytes share one
// allocation, so a watcher pays one per change rather than two (with one
// watcher, decoding was most of its cost: BenchmarkWatchWrites's profile).
// A caller that keeps such a set's key and drops its value keeps the
// value's bytes alive.
func ownedChange(op Op, key, value []byte) Change {
	if op != OpSet {
		return Change{Op: op, Key: string(key)}
	}
	if len(value) > maxSharedValue {
		return Change{Op: OpSet, Key: string(key), Value: append(make([]byte, 0, len(value)), value...)}
	}
	buf := make([]byte, len(key)+len(value))
	n := copy(buf, key)
	copy(buf[n:], value)
	return Change{Op: OpSet, Key: unsafe.String(unsafe.SliceData(buf), n), Value: buf[n:]}
}

// mutationChange is the change of a set (with a deadline or without) or a
// delete of key.
func mutationChange(op Op, key string, v []byte, at int64) Change {
	if op == OpSetAt {
		return Change{Op: OpSet, Key: key, Value: setValue(OpSet, v), At: at}
	}
	return Change{Op: op, Key: key, Value: setValue(op, v)}
}

// setValue returns v for a set, so that an empty value reads as empty, not
// missing, and nil for anything else.
func setValue(op Op, v []byte) []byte {
	if op != OpSet {
		return nil
	}
	if v == nil {
		return []byte{}
	}
	return v
}
