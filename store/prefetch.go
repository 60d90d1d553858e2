package store

import "github.com/hurrahdb/hurrah/internal/handoff"

// Looking keys up ahead of inserting them, when a store is restored from a
// snapshot (peekPairs) and when the journal is replayed (Engine.Peek, for
// journal.Options.Peek).
//
// Why: restoring or replaying inserts each key at a random place in a map
// far larger than the processor's caches, and at 4M keys each insert
// waited on several cache and TLB misses in a row before the next record
// was even decoded: that wait, not the work, is why a record cost about
// 1.5× as much at 4M keys as at 1M (pprof: mapaccess2 428 → 776 ns a
// record). Lookups of a run of keys made back to back, with nothing
// between them, do not depend on each other, so the processor has several
// of those misses in flight at once, and the inserts that follow find
// their slots in the cache. The lookups change nothing, so a key twice in
// a run, or a record that fails to decode later, is no matter. Measured in
// the README's "Restart" paragraph: the cost of a record at 4M keys came
// down to about that at 1M.

// peekRun is how many records a restore looks up ahead of inserting them
// (the journal shows Peek journal.PeekRun at a time).
const peekRun = 32

// peekPairs looks up the keys of pairs in m, in a row, and returns how
// many it found, which the caller may ignore: the lookups are the point.
func peekPairs(m map[string]entry, pairs []pair) int {
	n := 0
	for _, p := range pairs {
		if _, found := m[p.key]; found {
			n++
		}
	}
	return n
}

// peeker is implemented by machines that look a run of journaled entries
// up ahead of their replay (KV).
type peeker interface {
	peek(entries []handoff.Entry)
}

// Peek shows the machine, if it implements peeker, entries that Replay is
// about to be given. It changes nothing. Call it only before Start.
func (e *Engine[C, Q, R]) Peek(entries []handoff.Entry) {
	if p, ok := any(e.m).(peeker); ok {
		p.peek(entries)
	}
}

// peek implements peeker: it looks up, in a row, the keys of the entries
// that set one (in the form encodeSimple writes, which is how Set and
// SetBytes are journaled), counting those found in kv.peekFound so that
// the compiler keeps the lookups. Other entries, and bytes that are not an
// entry at all, it passes over: Replay judges them.
func (kv *KV) peek(entries []handoff.Entry) {
	if kv.ovl != nil {
		return // not a replay into the base map
	}
	for _, en := range entries {
		if key, ok := setKey(en.Data); ok {
			if _, found := kv.m[string(key)]; found {
				kv.peekFound++
			}
		}
	}
}

// setKey returns the key of data, an encoded OpSet in the form encodeSimple
// writes, or false for anything else.
func setKey(data []byte) ([]byte, bool) {
	if len(data) < 3 || data[0] != 0x84 || Op(data[1]) != OpSet {
		return nil, false
	}
	key, _, ok := byteString(data[2:])
	return key, ok && key != nil
}
