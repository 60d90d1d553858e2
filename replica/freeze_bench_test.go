package replica

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// BenchmarkApplyEntry applies entries of 32 sets straight to a machine,
// as raft's FSM goroutine does, with no raft around it: what the freeze
// (freeze.go) adds to an entry shows here, not lost in a cluster's noise.
// A/B: go test -run '^$' -bench '^BenchmarkApplyEntry$' -count 10 ./
// with and without freeze's Lock in fsm.Apply.
func BenchmarkApplyEntry(b *testing.B) {
	f, err := newFSM(context.Background())
	require.NoError(b, err)
	defer f.close()
	ops := make([]op, 32)
	for i := range ops {
		ops[i] = op{kind: opSet, key: fmt.Sprint("key", i), value: []byte("value")}
	}
	entry := sealEntry(appendOps(appendHeader(nil, entryVersion, len(ops)), ops))
	b.ResetTimer()
	for i := range b.N {
		if err, _ := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: entry}).(error); err != nil {
			b.Fatal(err)
		}
	}
}
