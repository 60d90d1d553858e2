package store

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// A Restore replaces the whole KV, the tree with it: like Clear it waits
// for a merge running on that tree first, so that no merge outlives the
// tree it merges into.
func TestRestoreWaitsForMerge(t *testing.T) {
	started, release := holdMerges(t)
	kv := NewKV(0)
	for i := range pendMax {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%05d", i), Value: []byte("v")})
	}
	within(t, started, "the merge starting")
	restored := make(chan error, 1)
	go func() {
		restored <- kv.Restore(1, func(yield func(k, v []byte) bool) { yield([]byte("a"), []byte("v")) })
	}()
	for !waitingFor("(*ordered).wait", "(*KV).RestoreAt") {
		select {
		case <-restored:
			t.Fatal("Restore returned while a merge still held the tree it dropped")
		default:
			runtime.Gosched()
		}
	}
	close(release)
	if err := <-restored; err != nil {
		t.Fatal(err)
	}
	if got := kv.rangeKeys("", ""); len(got) != 1 || got[0] != "a" {
		t.Fatalf("after Restore the scan yields %q, want [a]", got)
	}
}

// waitingFor reports whether some goroutine's stack holds both calls:
// one blocked in inner, called from outer.
func waitingFor(inner, outer string) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, inner) && strings.Contains(g, outer) {
			return true
		}
	}
	return false
}
