package replica

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A call whose round the loop never proposes, because Close stopped the
// loop first, returns ErrClosed (nothing of it was proposed), and so does
// a call after: no round opens once the loop has ended. One whose round
// was answered gets that answer, whatever came after.
func TestSubmitUnproposedIsClosed(t *testing.T) {
	for _, ctx := range []context.Context{context.Background(), t.Context()} {
		n := &node{m: &fsm{}, stop: make(chan struct{}), done: make(chan struct{})}
		n.rounds.kick = make(chan struct{}, 1)
		del := appendOps(nil, []op{{kind: opDelete, key: "k"}})
		answered, unproposed := make(chan error, 1), make(chan error, 1)
		go func() { answered <- n.submit(ctx, del, 1) }()
		<-n.rounds.kick // the caller has joined a round
		r := n.rounds.take()
		go func() { unproposed <- n.submit(ctx, del, 1) }()
		<-n.rounds.kick // this one has opened the next
		close(r.done)   // the first round is applied...
		n.rounds.end()  // ...and the loop ends before the next
		require.NoError(t, <-answered)
		require.ErrorIs(t, <-unproposed, ErrClosed)
		require.ErrorIs(t, n.submit(ctx, del, 1), ErrClosed)
	}
}
