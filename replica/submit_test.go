package replica

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// A call whose round was answered gets that answer, even when Close has
// ended the loop by the time it looks: ErrClosed says nothing was
// proposed, so a write that was applied must not return it. The caller
// here is made to look only after both its answer and the end are in
// (one P, and the loop's side runs on while the caller waits to run).
func TestSubmitPrefersItsAnswerToTheEnd(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for range 200 {
		n := &node{m: &fsm{}, reqs: make(chan *request), stop: make(chan struct{}), done: make(chan struct{})}
		got := make(chan error, 1)
		go func() { got <- n.submit(context.Background(), appendOps(nil, []op{{kind: opDelete, key: "k"}}), 1) }()
		runtime.Gosched() // the caller blocks handing its request over
		r := <-n.reqs
		r.done <- nil // its round is applied...
		close(n.done) // ...and then the node stops
		require.NoError(t, <-got)
	}
}
