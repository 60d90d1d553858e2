package replica

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"
)

// Concurrent clients Commit puts and Query a few registers (tallies set
// with Put) on a 3-node replicated System whose leader is killed, then
// restarted: porcupine checks, with the key-value model, that every
// client's history is linearizable.

// sysLinClient is linClient for a SystemNode cluster.
type sysLinClient struct {
	c     *sysCluster
	mu    *sync.Mutex // guards c.nodes, which the test's faults change
	id    int
	node  string
	start time.Time
	hist  []porcupine.Operation
}

// call runs in once (a put or a get; never a delete) and records it
// unless it is a read that failed. It returns whether it succeeded.
func (lc *sysLinClient) call(in linIn) bool {
	lc.mu.Lock()
	n := lc.c.nodes[lc.node]
	lc.mu.Unlock()
	if n == nil {
		lc.next("")
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	call := int64(time.Since(lc.start))
	var out linOut
	var err error
	if in.get {
		err = n.Query(ctx, func(s *tally) {
			if v, ok := s.N[in.key]; ok {
				out = linOut{found: true, val: strconv.Itoa(v)}
			}
		})
	} else {
		v, _ := strconv.Atoi(in.val)
		err = n.Commit(ctx, tallyCmd{Key: in.key, Add: v, Put: true})
	}
	ret := int64(time.Since(lc.start))
	var nl *NotLeaderError
	switch {
	case err == nil:
	case errors.As(err, &nl) || errors.Is(err, ErrClosed):
		lc.next(nl.leader())
		return false // nothing was proposed
	case in.get:
		lc.next("")
		return false
	default: // uncertain, or timed out waiting
		out, ret = linOut{unknown: true}, never
		lc.next("")
	}
	lc.hist = append(lc.hist, porcupine.Operation{ClientId: lc.id, Input: in, Call: call, Output: out, Return: ret})
	return err == nil
}

// next moves lc to hint, or to another node.
func (lc *sysLinClient) next(hint string) {
	if hint != "" {
		lc.node = hint
		return
	}
	i := slices.Index(lc.c.ids, lc.node)
	lc.node = lc.c.ids[(i+1)%len(lc.c.ids)]
}

func TestSystemLinearizableAcrossLeaderChanges(t *testing.T) {
	c := newSysCluster(t, 3, nil)
	const clients, calls = 6, 100
	var mu sync.Mutex
	var done atomic.Int64
	start := time.Now()
	lcs := make([]*sysLinClient, clients)
	var wg sync.WaitGroup
	for i := range clients {
		lc := &sysLinClient{c: c, mu: &mu, id: i, node: c.ids[i%3], start: start}
		lcs[i] = lc
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			for j := 0; j < calls; {
				in := linIn{key: fmt.Sprintf("k%d", rng.IntN(3))}
				if rng.IntN(2) == 0 {
					in.get = true
				} else {
					in.val = strconv.Itoa(i*1000 + j + 1) // unique per put
				}
				if lc.call(in) {
					j++
					done.Add(1)
				}
			}
		})
	}
	var killed string
	faults := []func(){
		func() { killed = c.leader().ID(); c.stop(killed) },
		func() { c.start(killed) },
	}
	for i, fault := range faults {
		target := int64(clients * calls * (i + 1) / (len(faults) + 1))
		require.Eventually(t, func() bool { return done.Load() >= target }, 3*waitFor, time.Millisecond)
		mu.Lock()
		fault()
		mu.Unlock()
	}
	wg.Wait()
	var history []porcupine.Operation
	for _, lc := range lcs {
		history = append(history, lc.hist...)
	}
	t.Logf("%d calls recorded; %s was killed and restarted", len(history), killed)
	res := porcupine.CheckOperationsTimeout(linModel, history, time.Minute)
	require.Equal(t, porcupine.Ok, res, "porcupine's verdict (Unknown: it timed out)")
}
