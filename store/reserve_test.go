package store_test

import (
	"testing"

	"github.com/hurrahdb/hurrah/store"
)

// Reserve sizes an empty map only: on a store holding keys it must keep
// every one of them.
func TestReserveKeepsWhatIsThere(t *testing.T) {
	kv := store.NewKV(0)
	kv.Reserve(1000)
	if _, _, err := kv.Apply(store.Command{Op: store.OpSet, Key: "a", Value: []byte("1")}); err != nil {
		t.Fatal(err)
	}
	kv.Reserve(1 << 20)
	if v, ok := kv.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("after Reserve on a non-empty store: Get(a) = %q, %v; want 1, true", v, ok)
	}
}
