package replica

import (
	"testing"

	"github.com/hashicorp/raft"
)

// BenchmarkOpenStores reopens a node directory whose log holds 10,000
// entries of 4 KiB (40 MB): what OpenStores costs a restart, its read of
// the whole file (inspect) included.
func BenchmarkOpenStores(b *testing.B) {
	dir := b.TempDir()
	s, err := OpenStores(dir)
	if err != nil {
		b.Fatal(err)
	}
	var logs []*raft.Log
	for i := range 10_000 {
		logs = append(logs, &raft.Log{Index: uint64(i + 1), Term: 1, Type: raft.LogCommand, Data: make([]byte, 4096)})
		if len(logs) == 500 {
			if err := s.Log.StoreLogs(logs); err != nil {
				b.Fatal(err)
			}
			logs = logs[:0]
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := OpenStores(dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
