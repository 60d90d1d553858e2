package store

import (
	"errors"
	"fmt"
)

// What a journaled key-value command changed, for the change feed: a set, a
// delete, a clear, or each mutation of a batch in turn.

// ErrUnknownChange is returned by Changes for a journaled operation it does
// not know how to report. It refuses rather than skips: a feed that left out
// a change would let a consumer drift from the store without a sign.
var ErrUnknownChange = errors.New("store: journaled operation the change feed does not know")

// Change is one key's change: OpSet with the key's new value, OpDelete, or
// OpClear (every key deleted; Key is empty).
type Change struct {
	Op    Op
	Key   string
	Value []byte // OpSet only: the stored bytes
}

// Changes appends to dst the changes the journaled key-value command data
// made, in the order it made them, and returns the extended slice. Values
// are copies: they do not alias data. Bytes that do not decode are an error
// as in replay; an operation Changes does not know wraps ErrUnknownChange.
// It never panics.
func Changes(dst []Change, data []byte) ([]Change, error) {
	c, err := decodeCommand(data)
	if err != nil {
		return dst, err
	}
	switch c.Op {
	case OpSet, OpDelete:
		return append(dst, Change{Op: c.Op, Key: c.Key, Value: setValue(c.Op, c.Value)}), nil
	case OpClear:
		return append(dst, Change{Op: OpClear}), nil
	case OpBatch:
		for i, m := range c.Batch {
			if m.Op != OpSet && m.Op != OpDelete {
				return dst, fmt.Errorf("%w: batch mutation %d has op %d", ErrUnknownChange, i, m.Op)
			}
			dst = append(dst, Change{Op: m.Op, Key: m.Key, Value: setValue(m.Op, m.Value)})
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%w: op %d", ErrUnknownChange, c.Op)
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
