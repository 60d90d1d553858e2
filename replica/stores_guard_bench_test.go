package replica

import (
	"testing"

	"github.com/hashicorp/raft"
)

// What the guard costs a store call: GetLog and StoreLogs of one entry
// on raft's in-memory store, direct and guarded (go test -run '^$'
// -bench Guard ./).
func BenchmarkGuard(b *testing.B) {
	s := raft.NewInmemStore()
	if err := s.StoreLog(&raft.Log{Index: 1, Data: make([]byte, 64)}); err != nil {
		b.Fatal(err)
	}
	g := guardedLog{guardStores(s, s, func(error) {}, nil)}
	for _, c := range []struct {
		name string
		log  raft.LogStore
	}{{"direct", s}, {"guarded", g}} {
		b.Run("GetLog/"+c.name, func(b *testing.B) {
			var l raft.Log
			for b.Loop() {
				if err := c.log.GetLog(1, &l); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("StoreLogs/"+c.name, func(b *testing.B) {
			logs := []*raft.Log{{Index: 2, Data: make([]byte, 64)}}
			for b.Loop() {
				if err := c.log.StoreLogs(logs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
