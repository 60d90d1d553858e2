package replica

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// Concurrent clients against a 3-node cluster whose leader is cut off,
// healed, and then killed: porcupine checks that the history of every
// client's calls is linearizable, so no acknowledged write is lost and no
// read is stale across the leader changes.

type linIn struct {
	get bool
	del bool
	key string
	val string // a set's value, unique per set
}

type linOut struct {
	found   bool   // a get found the key
	val     string // and read this
	unknown bool   // a write whose outcome is unknown
}

// linState is one key's state (the model is partitioned by key).
type linState struct {
	present bool
	val     string
}

var linModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, o := range h {
			k := o.Input.(linIn).key
			by[k] = append(by[k], o)
		}
		var parts [][]porcupine.Operation
		for _, k := range slices.Sorted(maps.Keys(by)) {
			parts = append(parts, by[k])
		}
		return parts
	},
	Init: func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(linState), input.(linIn), output.(linOut)
		switch {
		case in.get:
			return out.found == st.present && out.val == st.val, st
		case in.del:
			return true, linState{}
		}
		return true, linState{present: true, val: in.val}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linIn), output.(linOut)
		switch {
		case in.get && out.found:
			return fmt.Sprintf("get(%s) -> %q", in.key, out.val)
		case in.get:
			return fmt.Sprintf("get(%s) -> missing", in.key)
		case in.del:
			return fmt.Sprintf("delete(%s) unknown=%v", in.key, out.unknown)
		}
		return fmt.Sprintf("set(%s, %q) unknown=%v", in.key, in.val, out.unknown)
	},
}

// never is the return time of a write whose outcome is unknown: it may
// take effect at any time after its call.
const never = math.MaxInt64

// The model refuses a stale read, so that its Ok means something.
func TestLinearizabilityModelRefusesStaleRead(t *testing.T) {
	op := func(c int, call, ret int64, in linIn, out linOut) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret}
	}
	h := []porcupine.Operation{
		op(0, 0, 10, linIn{key: "k", val: "a"}, linOut{}),
		op(0, 20, 30, linIn{key: "k", val: "b"}, linOut{}),
		op(1, 40, 50, linIn{get: true, key: "k"}, linOut{found: true, val: "a"}),
	}
	require.False(t, porcupine.CheckOperations(linModel, h))
	h[1] = op(0, 20, never, linIn{key: "k", val: "b"}, linOut{unknown: true})
	require.True(t, porcupine.CheckOperations(linModel, h), "an unknown write may not have happened")
}

// linClient runs calls against whichever node leads, following the
// leader named by a refusal, and records each call.
type linClient struct {
	c     *cluster
	mu    *sync.Mutex // guards c.nodes, which the test's faults change
	id    int
	node  string
	start time.Time
	hist  []porcupine.Operation
}

func (lc *linClient) now() int64 { return int64(time.Since(lc.start)) }

// call runs in once, on lc.node, and records it unless it is a read that
// failed (it had no effect). It returns whether it succeeded.
func (lc *linClient) call(in linIn) bool {
	lc.mu.Lock()
	n := lc.c.nodes[lc.node]
	lc.mu.Unlock()
	if n == nil {
		lc.next("")
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	call := lc.now()
	var out linOut
	var err error
	switch {
	case in.get:
		var b []byte
		b, err = n.GetBytes(ctx, in.key)
		if errors.Is(err, hurrah.ErrNotFound) {
			err = nil
		} else {
			out = linOut{found: err == nil, val: string(b)}
		}
	case in.del:
		err = n.Delete(ctx, in.key)
	default:
		err = n.SetBytes(ctx, in.key, []byte(in.val))
	}
	ret := lc.now()
	var nl *NotLeaderError
	switch {
	case err == nil:
	// A write proposed as its node closes is ErrUncertain wrapping
	// ErrClosed: it may be applied, so it stays in the history.
	case errors.As(err, &nl) || (errors.Is(err, ErrClosed) && !errors.Is(err, ErrUncertain)):
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

// leader returns the leader e names, or "" (e may be nil).
func (e *NotLeaderError) leader() string {
	if e == nil {
		return ""
	}
	return e.LeaderID
}

// next moves lc to hint, or to another node.
func (lc *linClient) next(hint string) {
	if hint != "" {
		lc.node = hint
		return
	}
	i := slices.Index(lc.c.ids, lc.node)
	lc.node = lc.c.ids[(i+1)%len(lc.c.ids)]
}

func TestLinearizableAcrossLeaderChanges(t *testing.T) {
	c := newCluster(t, 3, nil)
	const clients, calls = 8, 120
	var mu sync.Mutex
	var done atomic.Int64
	start := time.Now()
	lcs := make([]*linClient, clients)
	var wg sync.WaitGroup
	for i := range clients {
		lc := &linClient{c: c, mu: &mu, id: i, node: c.ids[i%3], start: start}
		lcs[i] = lc
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := 0; j < calls; {
				in := linIn{key: fmt.Sprintf("k%d", rng.IntN(4))}
				switch r := rng.IntN(10); {
				case r < 5:
					in.get = true
				case r < 6:
					in.del = true
				default:
					in.val = fmt.Sprintf("c%d-%d", i, j)
				}
				if lc.call(in) {
					j++
					done.Add(1)
				}
			}
		})
	}
	faults := []func(){
		func() { c.partition(c.leader().ID()) },
		func() { c.heal(c.ids[0]); c.heal(c.ids[1]); c.heal(c.ids[2]) },
		func() { c.stop(c.leader().ID()) },
	}
	changes := 0
	for i, fault := range faults {
		target := int64(clients * calls * (i + 1) / (len(faults) + 1))
		require.Eventually(t, func() bool { return done.Load() >= target }, 3*waitFor, time.Millisecond)
		before := c.leader().ID()
		mu.Lock()
		fault()
		mu.Unlock()
		if c.leader().ID() != before {
			changes++
		}
	}
	wg.Wait()
	var history []porcupine.Operation
	for _, lc := range lcs {
		history = append(history, lc.hist...)
	}
	t.Logf("%d calls recorded, %d leader changes", len(history), changes)
	require.GreaterOrEqual(t, changes, 2, "the leader changed")
	res := porcupine.CheckOperationsTimeout(linModel, history, time.Minute)
	require.Equal(t, porcupine.Ok, res, "porcupine's verdict (Unknown: it timed out)")
}
