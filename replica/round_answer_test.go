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
		name           string
		resp           any
		first, second  error
		items1, items2 int
	}{
		{"a refused entry", ErrBadEntry, ErrBadEntry, ErrBadEntry, 2, 1},
		{"commands one by one", []error{errA, nil, errB}, errA, errB, 1, 1},
		{"a whole entry", nil, nil, nil, 3, 2},
	} {
		n := &node{cfg: l.cfg, raft: l.raft, m: l.m, done: make(chan struct{})}
		call := func(items int) *request { return &request{items: items, done: make(chan error, 1)} }
		w1, read, mid, w2 := call(tc.items1), call(0), call(1), call(tc.items2)
		inflight := make(chan pending, 1)
		inflight <- pending{batch: []*request{w1, read, mid, w2}, f: fakeFuture{resp: tc.resp}}
		close(inflight)
		n.answer(inflight)
		require.NoError(t, <-read.done, tc.name)
		require.Equal(t, tc.first, <-w1.done, tc.name)
		require.Equal(t, tc.second, <-w2.done, tc.name)
		<-mid.done
	}
}
