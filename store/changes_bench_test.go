package store_test

import (
	"testing"

	"github.com/hurrahdb/hurrah/store"
)

// BenchmarkChanges decodes the journal entry of one SetBytes (a 16-byte
// key, a 100-byte value) into its change, as each watcher does for each
// entry it reports: what a watcher costs per write, but for waking up.
// Run:
//
//	go test -run '^$' -bench Changes -count 3 ./store
func BenchmarkChanges(b *testing.B) {
	data, _ := store.EncodeSet("key-000000001234", make([]byte, 100))
	var dst []store.Change
	b.ReportAllocs()
	for range b.N {
		var err error
		if dst, err = store.Changes(dst[:0], data); err != nil || len(dst) != 1 {
			b.Fatal(err, len(dst))
		}
	}
}
