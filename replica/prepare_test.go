package replica

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/stretchr/testify/require"
)

// applyEntry applies entry (its very bytes) to f as the raft entry at index.
func applyEntry(f *fsm, index uint64, entry []byte) any {
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: entry})
}

// A prepared entry leaves the store as the same entry decoded by Apply
// does: values, deletes and deadlines alike.
func TestPreparedEntryAppliesAsDecoded(t *testing.T) {
	ctx := context.Background()
	at := time.Now().Add(time.Hour).UnixNano()
	entries := [][]op{
		{{kind: opSet, key: "a", value: []byte("1")}, {kind: opSet, key: "b", value: []byte("2"), at: at}},
		{{kind: opDelete, key: "a"}, {kind: opSet, key: "c", value: []byte("3")}, {kind: opSet, key: "b", value: []byte("4"), at: at + 1}},
	}
	prep, plain := newTestFSM(t), newTestFSM(t)
	for i, ops := range entries {
		e := appendEntry(nil, ops)
		prep.prepare(e)
		require.NotNil(t, prep.prep.ready.Load(), "entry %d was not prepared", i)
		require.Nil(t, applyEntry(prep, uint64(i+1), e))
		require.Nil(t, applyEntry(plain, uint64(i+1), bytes.Clone(e)))
	}
	require.EqualValues(t, len(entries), prep.prep.hits.Load())
	require.EqualValues(t, 0, plain.prep.hits.Load())
	require.Equal(t, fsmContents(t, plain), fsmContents(t, prep))
	require.Equal(t, map[string]string{"b": "4", "c": "3"}, fsmContents(t, prep))
	got, err := prep.db.Load().ExpiresAt(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, time.Unix(0, at+1), got)
	require.Equal(t, uint64(len(entries)), prep.appliedIndex())
}

// A prepared batch is applied only for the bytes it was made from: an
// entry with the same content at another address, or another entry, is
// decoded; the prepared one stays for its own entry, however late.
func TestPreparedOnlyForItsEntry(t *testing.T) {
	f := newTestFSM(t)
	a := appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte("a")}})
	b := appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte("b")}})
	f.prepare(a)
	require.Nil(t, applyEntry(f, 1, b))
	require.Equal(t, map[string]string{"k": "b"}, fsmContents(t, f))
	require.Nil(t, applyEntry(f, 2, bytes.Clone(a))) // a's bytes, not a
	require.EqualValues(t, 0, f.prep.hits.Load())
	require.Nil(t, applyEntry(f, 3, b))
	require.Equal(t, map[string]string{"k": "b"}, fsmContents(t, f))
	require.Nil(t, applyEntry(f, 4, a))
	require.EqualValues(t, 1, f.prep.hits.Load())
	require.Equal(t, map[string]string{"k": "a"}, fsmContents(t, f))
	require.Nil(t, f.prep.ready.Load())
}

// Once its round is answered, the loop takes back a prepared entry Apply
// did not take: the entry, applied later, is decoded.
func TestUnprepareTakesItBack(t *testing.T) {
	f := newTestFSM(t)
	a := appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte("a")}})
	f.prepare(a)
	f.unprepare()
	require.Nil(t, f.prep.ready.Load())
	require.NotNil(t, f.prep.spare.Load())
	require.Nil(t, applyEntry(f, 1, a))
	require.EqualValues(t, 0, f.prep.hits.Load())
	require.Equal(t, map[string]string{"k": "a"}, fsmContents(t, f))
}

// An entry with a Clear (applied in parts) or a damaged one is not
// prepared: Apply decodes it and answers as before, halting on damage.
func TestPrepareSkipsClearAndDamage(t *testing.T) {
	f := newTestFSM(t)
	require.Nil(t, applyAt(t, f, 1, op{kind: opSet, key: "old", value: []byte("x")}))
	withClear := appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte("v")}, {kind: opClear}, {kind: opSet, key: "n", value: []byte("w")}})
	f.prepare(withClear)
	require.Nil(t, f.prep.ready.Load())
	require.Nil(t, applyEntry(f, 2, withClear))
	require.Equal(t, map[string]string{"n": "w"}, fsmContents(t, f))

	damaged := appendEntry(nil, []op{{kind: opSet, key: "d", value: []byte("v")}})
	damaged[3] ^= 0xff
	f.prepare(damaged)
	require.Nil(t, f.prep.ready.Load())
	res := applyEntry(f, 3, damaged)
	err, _ := res.(error)
	require.True(t, errors.Is(err, ErrCorruptEntry), "got %v", res)
	require.ErrorIs(t, f.halted(), ErrCorruptEntry)
	require.EqualValues(t, 0, f.prep.hits.Load())
}

// On a running cluster the leading node's loop prepares entries (on
// raft's in-memory transport Apply mostly comes first: whether it takes
// them is timing), and every node ends with the same state.
func TestLeaderPreparesEntries(t *testing.T) {
	c := newCluster(t, 3, nil)
	want := c.setKeys("p", 20)
	l := c.leader()
	prepared := 0 // nodes that prepared: the leader, or leaders (a loaded machine may elect anew)
	for _, n := range c.nodes {
		if n.fsm.prep.spare.Load() != nil || n.fsm.prep.ready.Load() != nil {
			prepared++
		}
		require.Eventually(t, func() bool { return n.AppliedIndex() >= l.AppliedIndex() }, waitFor, time.Millisecond)
		require.Equal(t, want, contents(t, n))
	}
	require.NotZero(t, prepared)
}

// A prepared entry that Apply came before (it decoded the entry itself)
// makes the loop skip preparing for prepSkip rounds, then try again.
func TestPrepareBacksOffWhenLate(t *testing.T) {
	f := newTestFSM(t)
	entry := func(v string) []byte { return appendEntry(nil, []op{{kind: opSet, key: "k", value: []byte(v)}}) }
	late := entry("late")
	f.prepare(late)
	require.Nil(t, applyEntry(f, 1, bytes.Clone(late))) // Apply first, without it
	f.unprepare()                                       // the round is answered
	for i := range prepSkip {
		f.prepare(entry("skipped"))
		require.Nil(t, f.prep.ready.Load(), "round %d after a late one", i)
		f.unprepare()
	}
	next := entry("next")
	f.prepare(next)
	require.NotNil(t, f.prep.ready.Load())
	require.Nil(t, applyEntry(f, 2, next))
	f.unprepare()
	require.EqualValues(t, 1, f.prep.hits.Load())
	f.prepare(entry("again")) // taken in time: no skipping
	require.NotNil(t, f.prep.ready.Load())
}
