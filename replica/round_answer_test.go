package replica

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeFuture is a raft.ApplyFuture that raft answered with err and the
// machine with resp.
type fakeFuture struct {
	err  error
	resp any
}

func (f fakeFuture) Error() error  { return f.err }
func (f fakeFuture) Index() uint64 { return 1 }
func (f fakeFuture) Response() any { return f.resp }

// A round whose entry raft committed proves the leadership its reads
// need, whatever applying it returned: a read sharing it with writes that
// the machine refused is answered, not called "not leader". Each write
// gets its own item's answer: a DB's entry one for all, a System's
// commands one each.
func TestAnswerGivesEachCallItsOwn(t *testing.T) {
	c := newCluster(t, 1, nil)
	l := c.leader()
	errA, errB := errors.New("a"), errors.New("b")
	for _, tc := range []struct {
		name               string
		resp               any
		first, mid, second error
		items1, items2     int
	}{
		{"a refused entry", ErrBadEntry, ErrBadEntry, ErrBadEntry, ErrBadEntry, 2, 1},
		// The read between takes no index: mid's command is the second.
		{"commands one by one", []error{errA, nil, errB}, errA, nil, errB, 1, 1},
		{"a whole entry", nil, nil, nil, nil, 3, 2},
	} {
		n := &node{cfg: l.cfg, raft: l.raft, m: l.m}
		n.rounds.kick = make(chan struct{}, 1)
		w1, i1 := n.join(nil, tc.items1)
		read, ir := n.join(nil, 0)
		mid, im := n.join(nil, 1)
		w2, i2 := n.join(nil, tc.items2)
		r := n.rounds.take()
		require.True(t, r == w1 && r == read && r == mid && r == w2, tc.name)
		r.f = fakeFuture{resp: tc.resp}
		n.answer(r)
		require.NoError(t, n.outcome(r, ir, 0), tc.name)
		require.Equal(t, tc.first, n.outcome(r, i1, tc.items1), tc.name)
		require.Equal(t, tc.second, n.outcome(r, i2, tc.items2), tc.name)
		require.Equal(t, tc.mid, n.outcome(r, im, 1), tc.name)
	}
}
