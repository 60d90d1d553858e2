package store

import (
	"bytes"
	"errors"
	"slices"
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
	// decodeCommand refuses it.
	OpCAS Op = 5

	// OpSetAbsent sets Key to Value only if Key is absent. Like OpCAS it
	// is never journaled: the caller journals the equivalent OpSet.
	OpSetAbsent Op = 6

	// OpSetAt sets Key to Value with the deadline At (Unix ns): from
	// then on the key is hidden, and the owner removes it with an
	// OpExpire. In a batch too.
	OpSetAt Op = 7
	// OpExpireAt gives the present Key the deadline At, or drops its
	// deadline if At is 0.
	OpExpireAt Op = 8
	// OpExpire is the owner's removal of expired keys: Batch holds an
	// OpDelete of each. A change feed tells it from a delete by its op.
	OpExpire Op = 9

	// OpExpireIfLive gives Key the deadline At (0: none) only if Key is
	// present and not expired, as a caller sees it. Like OpCAS it is never
	// journaled: the caller journals the equivalent OpExpireAt, which
	// replay applies to whatever the map holds, expired or not, so that a
	// deadline pushed back before the old one passed survives a restart
	// after it.
	OpExpireIfLive Op = 10

	// OpDeleteRange deletes every key in [Key, Value) (an empty or nil
	// Value: no end), as one step: see range_delete.go.
	OpDeleteRange Op = 11
)

// Mutation is one set or delete inside a batch.
type Mutation struct {
	_     struct{} `cbor:",toarray"`
	Op    Op
	Key   string
	Value []byte
	// At is the deadline of an OpSetAt, in Unix ns. The CBOR library
	// skips it: OpSetAt has a layout of its own (codec.go), written and
	// read by hand.
	At int64 `cbor:"-"`
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
	// At is the deadline of OpSetAt and OpExpireAt (and of OpCAS and
	// OpSetAbsent, which then journal an OpSetAt), in Unix ns; 0 is none.
	// Like Mutation.At it is written by hand (codec.go).
	At int64 `cbor:"-"`
}

// QueryOp is the kind of a key-value query.
type QueryOp uint8

// Key-value queries.
const (
	QueryGet  QueryOp = iota + 1 // the value of Key
	QueryLen                     // the number of keys
	queryKeys                    // every key, in no particular order (only tests ask)
)

// Query is a key-value read.
type Query struct {
	Op  QueryOp
	Key string
}

// Result answers a Command or a Query.
type Result struct {
	Value []byte   // QueryGet: the stored bytes (never changed in place)
	Found bool     // QueryGet: the key exists; OpDelete: the key existed; OpCAS: swapped; OpSetAbsent: set
	N     int      // QueryLen; -1: too many keys are due to count in a turn, count from an image
	Keys  []string // queryKeys
}

// errBadOp is returned by Apply for a command it does not know.
var errBadOp = errors.New("store: unknown key-value operation")

// KV is the key-value state machine: a map from string keys to byte values,
// each with a deadline or none (entry, kv_entry.go).
//
// Images (Freeze) let other goroutines read a point-in-time copy of the map
// while the owner goes on applying commands, without copying it: while an
// image shares the map, the owner leaves the map alone and records changes
// in an overlay instead. Freezing again while changes wait in the overlay
// freezes that overlay too, as a layer the new image shares, and starts a
// fresh one: no image costs a copy. Once no image is open, the owner folds
// the layers and the overlay back into the map in small steps (fold). See
// image.go.
type KV struct {
	m map[string]entry // the base map; left alone while shared > 0

	// Changes not yet folded into m: frozen layers, oldest first, which
	// open images may read and nothing changes while shared > 0; and
	// above them the overlay, which only the owner reads. ovl is nil when
	// there are none (and then so is layers).
	layers []map[string]slot
	ovl    map[string]slot
	shared int    // open images that read m and the layers
	gen    uint64 // counts replacements of m, so an old image's release is not counted against a new m
	n      int    // number of keys, kept while ovl is not nil (else len(m))
	bytes  int64  // sum of len(key)+len(value) over the keys: see Size

	ord    ordered    // the keys in order, changed on create and delete only (ordered.go)
	ordOff bool       // ord is not kept until built (ordered_defer.go)
	sc     *scanCache // values of m as images froze it, for range scans; nil once m changes (ordered_scancache.go)

	exp       *expiry      // the keys' deadlines; nil until the first (expiry.go)
	clock     func() int64 // Unix ns; nil until first read (then WallClock)
	handClock bool         // clock does not advance as timers do (SetClock)
	inTurn    bool         // in an owner's turn: now reads the clock once (expiry.go)
	ticked    bool         // tickNow holds the turn's clock reading
	tickNow   int64

	peekFound int // keys found by peek (prefetch.go), read by nothing

	restoreRoom int // if > 0, the most keys RestoreAt makes room for at once (LimitRestore)
}

var _ Machine[Command, Query, Result] = (*KV)(nil)

// NewKV returns an empty key-value machine sized for about hint keys.
func NewKV(hint int) *KV { return &KV{m: make(map[string]entry, hint)} }

// Reserve implements Reserver: while the store is still empty, it replaces
// the map with one sized for n keys; once it holds anything, it does
// nothing.
func (kv *KV) Reserve(n int) {
	if len(kv.m) == 0 && kv.ovl == nil && kv.layers == nil && n > 0 {
		kv.m, kv.gen, kv.sc = make(map[string]entry, n), kv.gen+1, nil // a new m, as in RestoreAt
	}
}

// LimitRestore makes the next Restore or RestoreAt make room for at most
// n keys before they come, whatever count it is given; the map grows past
// that as keys come. It is for a count no checksum has vouched for yet (a
// backup's header, read from a stream: hurrah.OpenBackup), which could
// otherwise make a map of any size. n <= 0 lifts the limit.
func (kv *KV) LimitRestore(n int) { kv.restoreRoom = n }

// Fit implements Reserver: if the map Reserve(n) made holds under a
// quarter of n keys (a replay of overwrites, say), it moves them to a map
// their own size, which costs a pass over those few keys; a Go map never
// shrinks, and one sized for n would keep its room, and the collector's
// work over it, for the life of the store.
func (kv *KV) Fit(n int) {
	if kv.ovl != nil || kv.layers != nil || len(kv.m) >= n/4 {
		return
	}
	m := make(map[string]entry, len(kv.m))
	for k, v := range kv.m {
		m[k] = v
	}
	kv.m, kv.gen, kv.sc = m, kv.gen+1, nil // a new m, as in RestoreAt
}

// Get returns the value of key. Like every KV method it must be called
// from the owner goroutine only (see Engine.Exec and Engine.Read).
func (kv *KV) Get(key string) ([]byte, bool) { return kv.get(key) }

// clear deletes every key and reports whether there were any (expired
// or not). The images keep the old map and layers; the new map is shared
// by none.
func (kv *KV) clear() bool {
	if kv.size() == 0 {
		return false
	}
	kv.m, kv.sc = make(map[string]entry), nil // let the old buckets go
	kv.layers, kv.ovl, kv.shared, kv.n, kv.bytes = nil, nil, 0, 0, 0
	kv.ord.wait()
	kv.ord = ordered{} // images keep the old tree; a deferred index stays deferred
	kv.exp = nil       // images keep the old deadlines
	kv.gen++
	return true
}

// Size returns the number of live keys (as QueryLen counts them) and the
// sum of len(key)+len(value) over them. It costs a walk over the keys
// whose deadline has passed and that the owner has not removed yet (none
// in a store that does not use expiry). Owner goroutine only, like every
// KV method.
func (kv *KV) Size() (keys int, bytes int64) {
	n, b := kv.expiredCount()
	return kv.size() - n, kv.bytes - b
}

// StoredSize returns the number of keys the map holds, those whose
// deadline has passed but that the owner has not removed yet included,
// and the sum of len(key)+len(value) over them. It is kept as the state
// changes, not counted, so it costs nothing (see Sizer).
func (kv *KV) StoredSize() (keys int, bytes int64) { return kv.size(), kv.bytes }

// liveLen returns the number of keys not expired, or -1 if more keys are
// due than the owner counts in a turn (lenBudget, expiry.go).
func (kv *KV) liveLen() int {
	n, _, ok := kv.expiredWithin(lenBudget, false)
	if !ok {
		return -1
	}
	return kv.size() - n
}

// size returns the number of keys, expired ones not yet removed included.
func (kv *KV) size() int {
	if kv.ovl != nil {
		return kv.n
	}
	return len(kv.m)
}

// Apply implements Machine.
func (kv *KV) Apply(c Command) (Result, bool, error) {
	switch c.Op {
	case OpSet, OpSetAt:
		kv.setAt(c.Key, c.Value, c.At)
		return Result{}, true, nil
	case OpDelete:
		old, had := kv.delEntry(c.Key)
		if !had {
			return Result{}, false, nil
		}
		return Result{Found: !kv.hidden(old)}, true, nil
	case OpClear:
		return Result{}, kv.clear(), nil
	case OpDeleteRange:
		return kv.deleteRange(c.Key, string(c.Value))
	case OpBatch:
		return kv.applyBatch(c.Batch, batchOps)
	case OpExpire:
		return kv.applyBatch(c.Batch, expireOps)
	case OpExpireAt, OpExpireIfLive:
		// OpExpireAt is journaled: the live call saw the key, so
		// replay takes it expired or not.
		old, ok := kv.rawEntry(c.Key)
		if !ok || c.Op == OpExpireIfLive && kv.hidden(old) {
			return Result{}, false, nil
		}
		if old.at == c.At {
			return Result{Found: true}, false, nil
		}
		kv.write(c.Key, old, true, newEntry(old.v(), c.At))
		return Result{Found: true}, true, nil
	case OpCAS:
		old, ok := kv.rawEntry(c.Key)
		if !ok || kv.hidden(old) || !bytes.Equal(old.v(), c.Old) {
			return Result{}, false, nil
		}
		kv.write(c.Key, old, true, newEntry(c.Value, c.At))
		return Result{Found: true}, true, nil
	case OpSetAbsent:
		old, had := kv.rawEntry(c.Key)
		if had && !kv.hidden(old) {
			return Result{}, false, nil
		}
		kv.write(c.Key, old, had, newEntry(c.Value, c.At))
		return Result{Found: true}, true, nil
	}
	return Result{}, false, errBadOp
}

// The mutations a batch may hold, and those an OpExpire may hold.
var (
	batchOps  = [...]bool{OpSet: true, OpDelete: true, OpSetAt: true, OpExpire: false}
	expireOps = [...]bool{OpDelete: true, OpExpire: false}
)

// okOp reports whether op is one of ops.
func okOp(ops []bool, op Op) bool { return int(op) < len(ops) && ops[op] }

// applyBatch applies muts, all of them or, if one is not in ops, none.
func (kv *KV) applyBatch(muts []Mutation, ops [10]bool) (Result, bool, error) {
	for _, m := range muts {
		if !okOp(ops[:], m.Op) {
			return Result{}, false, errBadOp
		}
	}
	for _, m := range muts {
		if m.Op == OpDelete {
			kv.del(m.Key)
		} else {
			kv.setAt(m.Key, m.Value, m.At)
		}
	}
	return Result{}, len(muts) > 0, nil
}

// Query implements Machine.
func (kv *KV) Query(q Query) Result {
	switch q.Op {
	case QueryGet:
		v, ok := kv.get(q.Key)
		return Result{Value: v, Found: ok}
	case QueryLen:
		return Result{N: kv.liveLen()}
	case queryKeys:
		keys := make([]string, 0, kv.size())
		for k, e := range kv.allEntries {
			if !kv.hidden(e) {
				keys = append(keys, k)
			}
		}
		return Result{Keys: keys, N: len(keys)}
	}
	return Result{}
}

// all yields every key and value of the current state.
func (kv *KV) all(yield func(string, []byte) bool) {
	for k, e := range kv.allEntries {
		if !yield(k, e.v()) {
			return
		}
	}
}

// allEntries yields every key and entry of the current state, expired or
// not.
func (kv *KV) allEntries(yield func(string, entry) bool) {
	layers := kv.layers
	if len(kv.ovl) > 0 {
		layers = append(slices.Clip(layers), kv.ovl)
	}
	(&image{m: kv.m, layers: layers}).entries(yield)
}
