package store

import (
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hurrahdb/hurrah/internal/handoff"
)

// TestSetKey checks that setKey finds the key of an encoded set of short
// and long keys, finds none in other commands, and never panics on a cut
// or random bytes, where it may find a key only if the cut left it whole.
func TestSetKey(t *testing.T) {
	for _, key := range []string{"a", strings.Repeat("k", 23), strings.Repeat("k", 24), strings.Repeat("k", 300)} {
		data, _ := encodeSimple(OpSet, key, []byte("value"))
		if got, ok := setKey(data); !ok || string(got) != key {
			t.Fatalf("setKey of a set of %q: %q, %v", key, got, ok)
		}
		for cut := range len(data) {
			if got, ok := setKey(data[:cut]); ok && string(got) != key {
				t.Fatalf("setKey of %d bytes of a set of %q: %q", cut, key, got)
			}
		}
		del, _ := encodeSimple(OpDelete, key, nil)
		batch, _ := encodeBatch([]Mutation{{Op: OpSet, Key: key, Value: []byte("v")}})
		at, _ := encodeAt(OpSetAt, key, []byte("v"), 5)
		for _, other := range [][]byte{del, batch, at, nil} {
			if got, ok := setKey(other); ok {
				t.Fatalf("setKey of %x: %q", other, got)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if rng.IntN(2) == 0 && len(b) > 1 {
			b[0], b[1] = 0x84, byte(OpSet)
		}
		setKey(b) // must not panic
	}
}

// TestPeekChangesNothing shows an engine's KV entries of every kind, and
// bytes that are no entry, and checks that its keys, values and sizes are
// as they were.
func TestPeekChangesNothing(t *testing.T) {
	kv := NewKV(0)
	e := NewKVEngine(kv)
	for _, k := range []string{"a", "b", "c"} {
		if _, _, err := kv.Apply(Command{Op: OpSet, Key: k, Value: []byte("v" + k)}); err != nil {
			t.Fatal(err)
		}
	}
	before, keys, size := maps.Clone(kv.m), kv.size(), kv.bytes
	set, _ := encodeSimple(OpSet, "a", []byte("new"))
	fresh, _ := encodeSimple(OpSet, "z", []byte("new"))
	del, _ := encodeSimple(OpDelete, "b", nil)
	batch, _ := encodeBatch([]Mutation{{Op: OpDelete, Key: "c"}})
	var es []handoff.Entry
	for i, d := range [][]byte{set, fresh, del, batch, nil, {0x84}, {0x84, 1, 0x5f}, set[:4]} {
		es = append(es, handoff.Entry{LSN: uint64(i + 1), Data: d})
	}
	e.Peek(es)
	if !maps.Equal(kv.m, before) || kv.size() != keys || kv.bytes != size || kv.peekFound != 2 { // "a", whole and cut after its key
		t.Fatalf("after Peek: %q (%d keys, %d bytes, %d found), want %q (%d keys, %d bytes, 2 found)",
			kv.m, kv.size(), kv.bytes, kv.peekFound, before, keys, size)
	}
}
