package store

import (
	"bytes"
	"errors"
)

// Op is the kind of a key-value mutation.
type Op uint8

// Key-value mutations. The values are part of the journal format.
const (
	OpSet    Op = 1 // set Key to Value
	OpDelete Op = 2 // delete Key
	OpClear  Op = 3 // delete every key
	OpBatch  Op = 4 // apply Batch, all or nothing

	// OpCAS sets Key to Value only if Key is present and holds exactly
	// the bytes Old. It is never journaled: a caller that journals passes
	// the encoding of the equivalent OpSet as the command's data, so the
	// journal records what happened and replay never meets OpCAS.
	// DecodeCommand refuses it.
	OpCAS Op = 5
)

// Mutation is one set or delete inside a batch.
type Mutation struct {
	_     struct{} `cbor:",toarray"`
	Op    Op
	Key   string
	Value []byte
}

// Command is a key-value mutation as it is journaled. Values are opaque
// bytes (hurrah stores CBOR-encoded values); the map keeps the very slice it
// is given, so the caller must not change it afterwards.
type Command struct {
	_     struct{} `cbor:",toarray"`
	Op    Op
	Key   string
	Value []byte
	Batch []Mutation
	// Old is the value OpCAS expects to find. It is not part of the
	// journal format: the encoding skips it, so a command encodes the same
	// whatever Old holds, and a decoded command has a nil Old.
	Old []byte `cbor:"-"`
}

// QueryOp is the kind of a key-value query.
type QueryOp uint8

// Key-value queries.
const (
	QueryGet  QueryOp = iota + 1 // the value of Key
	QueryLen                     // the number of keys
	QueryKeys                    // every key, in no particular order
)

// Query is a key-value read.
type Query struct {
	Op  QueryOp
	Key string
}

// Result answers a Command or a Query.
type Result struct {
	Value []byte   // QueryGet: the stored bytes (never changed in place)
	Found bool     // QueryGet: the key exists; OpDelete: the key existed; OpCAS: swapped
	N     int      // QueryLen
	Keys  []string // QueryKeys
}

// errBadOp is returned by Apply for a command it does not know.
var errBadOp = errors.New("store: unknown key-value operation")

// KV is the key-value state machine: a map from string keys to byte values.
type KV struct {
	m map[string][]byte
}

var _ Machine[Command, Query, Result] = (*KV)(nil)

// NewKV returns an empty key-value machine sized for about hint keys.
func NewKV(hint int) *KV { return &KV{m: make(map[string][]byte, hint)} }

// Apply implements Machine.
func (kv *KV) Apply(c Command) (Result, bool, error) {
	switch c.Op {
	case OpSet:
		kv.m[c.Key] = c.Value
		return Result{}, true, nil
	case OpDelete:
		if _, ok := kv.m[c.Key]; !ok {
			return Result{}, false, nil
		}
		delete(kv.m, c.Key)
		return Result{Found: true}, true, nil
	case OpClear:
		if len(kv.m) == 0 {
			return Result{}, false, nil
		}
		kv.m = make(map[string][]byte) // let the old buckets go
		return Result{}, true, nil
	case OpBatch:
		for _, m := range c.Batch {
			if m.Op != OpSet && m.Op != OpDelete {
				return Result{}, false, errBadOp
			}
		}
		for _, m := range c.Batch {
			if m.Op == OpSet {
				kv.m[m.Key] = m.Value
			} else {
				delete(kv.m, m.Key)
			}
		}
		return Result{}, len(c.Batch) > 0, nil
	case OpCAS:
		cur, ok := kv.m[c.Key]
		if !ok || !bytes.Equal(cur, c.Old) {
			return Result{}, false, nil
		}
		kv.m[c.Key] = c.Value
		return Result{Found: true}, true, nil
	}
	return Result{}, false, errBadOp
}

// Query implements Machine.
func (kv *KV) Query(q Query) Result {
	switch q.Op {
	case QueryGet:
		v, ok := kv.m[q.Key]
		return Result{Value: v, Found: ok}
	case QueryLen:
		return Result{N: len(kv.m)}
	case QueryKeys:
		keys := make([]string, 0, len(kv.m))
		for k := range kv.m {
			keys = append(keys, k)
		}
		return Result{Keys: keys, N: len(keys)}
	}
	return Result{}
}
