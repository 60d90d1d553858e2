package store

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hurrahdb/hurrah/actor"
)

// holdMerges makes every merge handed off from now to the test's end
// wait, once started, until the test lets it go: it returns a channel
// that receives when a merge starts and one to send on to let it go.
func holdMerges(t *testing.T) (started <-chan struct{}, release chan<- struct{}) {
	s, r := make(chan struct{}), make(chan struct{})
	mergeHook = func() { s <- struct{}{}; <-r }
	t.Cleanup(func() { mergeHook = nil })
	return s, r
}

// within fails the test if done neither delivers nor is closed within a
// minute: a guard against a hang, not a measure of time.
func within(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s: still blocked after a minute", what)
	}
}

// The owner hands a full buffer to a merge and goes on noting changes in
// another without waiting for it; when that one is full too, it waits
// for the merge and hands the next buffer over. The tree then holds
// every key.
func TestMergeOffOwner(t *testing.T) {
	started, release := holdMerges(t)
	var tr ordered
	model := map[string]bool{}
	add := func(n int) {
		for range n {
			k := fmt.Sprintf("k%06d", len(model)*7919%1000003)
			tr.add(k)
			model[k] = true
		}
	}
	add(pendMax)
	if tr.bg == nil || len(tr.pend) != 0 {
		t.Fatalf("a full buffer was not handed off: %d pending", len(tr.pend))
	}
	within(t, started, "the first merge starting") // it holds the tree now
	noted := make(chan struct{})
	go func() { add(pendMax - 1); close(noted) }()
	within(t, noted, "noting changes in the second buffer while a merge runs")
	if len(tr.pend) != pendMax-1 {
		t.Fatalf("%d pending, want %d", len(tr.pend), pendMax-1)
	}
	waited := make(chan struct{})
	go func() { add(1); close(waited) }()           // fills the second buffer: waits for the merge
	release <- struct{}{}                           // the first merge goes on
	within(t, started, "the second merge starting") // the buffer was handed off
	release <- struct{}{}
	within(t, waited, "noting the change that fills the second buffer")
	if len(tr.pend) != 0 {
		t.Fatalf("%d changes pending after the second hand-off", len(tr.pend))
	}
	v := tr.freeze() // waits for the second merge
	if tr.bg != nil {
		t.Fatal("freeze left a merge running")
	}
	if got, want := checkTree(t, v.root, v.n), slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
		t.Fatalf("tree holds %d keys, want %d", len(got), len(want))
	}
}

// A Clear while a merge runs drops the merged tree: the merge finishes on
// nodes nobody reads, and the KV's scans see only the keys set after.
func TestClearDuringMerge(t *testing.T) {
	started, release := holdMerges(t)
	kv := NewKV(0)
	for i := range pendMax {
		kv.Apply(Command{Op: OpSet, Key: fmt.Sprintf("k%05d", i), Value: []byte("v")})
	}
	within(t, started, "the merge starting")
	cleared := make(chan struct{})
	go func() { // Clear waits for the held merge: release it meanwhile
		kv.Apply(Command{Op: OpClear})
		close(cleared)
	}()
	close(release)
	within(t, cleared, "the Clear")
	if kv.ord.bg != nil {
		t.Fatal("Clear left a merge running on the tree it dropped")
	}
	kv.Apply(Command{Op: OpSet, Key: "after", Value: []byte("v")})
	got := slices.Collect(func(yield func(string) bool) {
		for k := range kv.Range("", "", false) {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(got, []string{"after"}) {
		t.Fatalf("after Clear the scan yields %d keys %q, want [after]", len(got), got[:min(len(got), 3)])
	}
}

// Changes merged in runs that fall into one leaf after another (keys
// created in order, interleaved with the tree's, and removals among
// them) go into the leaf a merge's last descent reached: the tree stays a
// valid B-tree holding the model's keys.
func TestMergeFingerRuns(t *testing.T) {
	var tr ordered
	model := map[string]bool{}
	for i := range 5000 {
		k := fmt.Sprintf("k%06d", i*10)
		tr.insert(k)
		model[k] = true
	}
	for round := range 40 {
		for i := range 900 { // a run in order through the existing keys
			k := fmt.Sprintf("k%06d", (round*1237+i*3)%50000+round%7+1)
			if model[k] {
				continue
			}
			tr.add(k)
			model[k] = true
		}
		for i := range 100 {
			k := fmt.Sprintf("k%06d", (round*3001+i*97)%50000/10*10)
			if model[k] {
				tr.drop(k)
				delete(model, k)
			}
		}
		v := tr.freeze()
		if got, want := checkTree(t, v.root, v.n), slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
			t.Fatalf("round %d: tree holds %d keys, want %d", round, len(got), len(want))
		}
	}
}

// Close waits for a merge running on its own goroutine: no merge outlives
// the store.
func TestCloseWaitsForMerge(t *testing.T) {
	started, release := holdMerges(t)
	kv := NewKV(0)
	e := New[Command, Query, Result](kv, DecodeCommand, 0)
	e.Start(nil, actor.Options{})
	ctx := context.Background()
	for i := range pendMax {
		c := Command{Op: OpSet, Key: fmt.Sprintf("k%05d", i), Value: []byte("v")}
		data, err := EncodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Update(ctx, c, data, AckApplied); err != nil {
			t.Fatal(err)
		}
	}
	within(t, started, "the merge starting")
	closed := make(chan struct{})
	go func() {
		_ = e.Close()
		close(closed)
	}()
	for !e.closing.Load() { // Close has begun: let the merge go
		runtime.Gosched()
	}
	close(release)
	within(t, closed, "Close")
	if kv.ord.bg != nil {
		t.Fatal("Close returned with the index's merge still running")
	}
}
