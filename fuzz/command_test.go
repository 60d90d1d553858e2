package fuzz_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/hurrahdb/hurrah/store"
)

// checkDecodeCommand checks DecodeCommand on b: whatever it accepts has a
// known op, encodes, and decodes back to an equal command whose encoding
// is the same (the encoding is a fixed point after one round), and the two
// apply without error and do the same to an empty map.
func checkDecodeCommand(t *testing.T, b []byte) {
	c, err := store.DecodeCommand(b)
	if err != nil {
		if !reflect.DeepEqual(c, store.Command{}) {
			t.Fatalf("error %v with command %+v", err, c)
		}
		return
	}
	switch c.Op {
	case store.OpSet, store.OpDelete, store.OpClear, store.OpBatch:
	default:
		t.Fatalf("accepted unknown op %d", c.Op)
	}
	enc, err := store.EncodeCommand(c)
	if err != nil {
		t.Fatalf("decoded command %+v does not encode: %v", c, err)
	}
	again, err := store.DecodeCommand(enc)
	if err != nil {
		t.Fatalf("re-encoding %x of %x does not decode: %v", enc, b, err)
	}
	if !reflect.DeepEqual(again, c) {
		t.Fatalf("round trip changed the command:\n got  %#v\n want %#v", again, c)
	}
	enc2, err := store.EncodeCommand(again)
	if err != nil || !bytes.Equal(enc2, enc) {
		t.Fatalf("second encoding differs: %x, %v; first %x", enc2, err, enc)
	}

	kv1, kv2 := store.NewKV(0), store.NewKV(0)
	r1, ch1, err1 := kv1.Apply(c)
	r2, ch2, err2 := kv2.Apply(again)
	if err1 != nil {
		// Replay applies whatever decodes: a command that decodes but
		// does not apply would stop a recovery.
		t.Fatalf("decoded command %#v does not apply: %v", c, err1)
	}
	if !reflect.DeepEqual(r1, r2) || ch1 != ch2 || err2 != nil {
		t.Fatalf("the decoded and round-tripped commands apply differently: %v %v %v / %v %v %v", r1, ch1, err1, r2, ch2, err2)
	}
	if n1, n2 := kv1.Query(store.Query{Op: store.QueryLen}).N, kv2.Query(store.Query{Op: store.QueryLen}).N; n1 != n2 {
		t.Fatalf("maps of %d and %d keys after applying", n1, n2)
	}
}

// FuzzDecodeCommand checks DecodeCommand on arbitrary bytes. See
// checkDecodeCommand.
func FuzzDecodeCommand(f *testing.F) {
	for _, s := range decodeCommandSeeds()[:8] {
		f.Add(s.args[0].([]byte))
	}
	f.Fuzz(checkDecodeCommand)
}
