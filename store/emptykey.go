package store

import "errors"

// The key-value map itself holds any key, the empty one included. hurrah
// refuses the empty key in every call, so an empty key on disk can only be
// damage, and a store that replayed or restored one would hold a key no
// call could read or delete. NewKVEngine therefore refuses it in what it
// replays and restores.

// errEmptyKey is the damage of a journaled command or a snapshot record
// with the empty key. Replay and Restore wrap it in ErrBadEntry.
var errEmptyKey = errors.New("store: a record with the empty key")

// NewKVEngine returns an engine, not yet started, over kv, that refuses the
// empty key in the commands it replays (ErrBadEntry) and in the snapshot
// records it restores. The caller keeps kv for the functions the owner runs
// (Exec and Read).
func NewKVEngine(kv *KV) *Engine[Command, Query, Result] {
	kv.deferIndex() // built when the engine starts (ordered_defer.go)
	return New[Command, Query, Result](nonEmptyKV{kv}, decodeNonEmpty, 0)
}

// decodeNonEmpty decodes a journaled key-value command as decodeCommand
// does, refusing one that sets, deletes or gives a deadline to the empty
// key.
func decodeNonEmpty(b []byte) (Command, error) {
	c, err := decodeCommand(b)
	if err != nil {
		return c, err
	}
	if (c.Op == OpSet || c.Op == OpDelete || c.Op == OpSetAt || c.Op == OpExpireAt) && c.Key == "" {
		return Command{}, errEmptyKey
	}
	for _, m := range c.Batch {
		if m.Key == "" {
			return Command{}, errEmptyKey
		}
	}
	return c, nil
}

// nonEmptyKV is a KV whose Restore and RestoreAt refuse the empty key.
// Every other method is the KV's own.
type nonEmptyKV struct{ *KV }

// Restore implements Snapshotter: it restores the records as KV.Restore
// does, unless one has the empty key.
func (kv nonEmptyKV) Restore(n int, records func(yield func(key, value []byte) bool)) error {
	return kv.RestoreAt(n, func(yield func(key, value []byte, at int64) bool) {
		for k, v := range records {
			if !yield(k, v, 0) {
				return
			}
		}
	})
}

// RestoreAt restores records that carry deadlines as KV.RestoreAt does,
// unless one has the empty key.
func (kv nonEmptyKV) RestoreAt(n int, records func(yield func(key, value []byte, at int64) bool)) error {
	// KV.RestoreAt reads records from a goroutine that has ended when it
	// returns, so empty is safe to read then.
	empty := false
	err := kv.KV.RestoreAt(n, func(yield func(key, value []byte, at int64) bool) {
		records(func(k, v []byte, at int64) bool {
			if len(k) == 0 {
				empty = true
				return false
			}
			return yield(k, v, at)
		})
	})
	if empty {
		return errEmptyKey
	}
	return err
}
