package reliability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
)

// The linearizability check: clients run random Get, Set, Delete and
// compare-and-swap calls on a few keys at once, each call is recorded with
// the monotonic time of its call and of its return, and porcupine searches
// for an order of the calls that agrees with the real-time order and with a
// sequential key-value store. A store is linearizable when every history it
// produces has one.
//
// A write that returns an error (ErrClosed while the store is being
// reopened, or the error of a context that was already canceled) may or may
// not have taken effect. Such a call is recorded as returning after every
// other call, with an output the model accepts either way: porcupine may then
// place it anywhere after its call, including after everything, where it
// changes nothing that anyone saw. A read that fails tells nothing and is
// dropped.

// linUnknownReturn is the return time of a call whose outcome is unknown:
// after every other call.
const linUnknownReturn = math.MaxInt64

// linConfig describes one kind of history.
type linConfig struct {
	name       string
	durability hurrah.Durability
	clients    int
	keys       int // half typed (Set/Get/CompareAndSwap), half raw (the Bytes calls)
	ops        int // calls per client
	reopens    int // closes and reopens during the run (persistent stores only)
	mailbox    int // Options.MailboxSize; 0 for the default
	maxDrain   int // Options.MaxDrain; 0 for the default
	gets       int // percent of the calls that are Gets; 0 for 40
	// churn runs, beside the clients, snapshots, Views and Sets of keys
	// outside the history that expire within a millisecond, so that the
	// owner folds, stacks layers and removes expired keys while the
	// clients read (many of them from the published image).
	churn bool
}

// linFast counts the Gets answered without the owner (Stats.LockFreeGets)
// over every handle of a history.
type linFast struct{ n atomic.Uint64 }

// add counts db's, just before it is closed.
func (f *linFast) add(db *hurrah.DB) { f.n.Add(db.Stats().LockFreeGets) }

// linStats is what a run adds to the figure.
type linStats struct {
	histories, ops, unknown int
}

// linHandle is the store the clients use now; next is closed once it has
// been replaced, so a client that met ErrClosed knows when to go on.
type linHandle struct {
	db   *hurrah.DB
	next chan struct{}
}

// linHistory runs one history of cfg and returns it. Every client does its
// calls; meanwhile a coordinator closes and reopens the store cfg.reopens
// times, at even points of the run, and the clients move on to each new
// handle. At the end the store is closed and reopened once more (if
// persistent) and every key is read, so that the history ends with what
// survived.
//
// It also returns how many calls met ErrClosed: calls made on a handle that
// was being closed or had been. If the clients take longer than wait,
// something hangs and the test fails.
func linHistory(t *testing.T, cfg linConfig, seed uint64, wait time.Duration) ([]porcupine.Operation, int, uint64) {
	t.Helper()
	ctx := t.Context()
	dir := ""
	if cfg.durability != hurrah.MemoryOnly {
		dir = newDir(t)
	}
	opts := &hurrah.Options{Durability: cfg.durability, MailboxSize: cfg.mailbox, MaxDrain: cfg.maxDrain}
	db, err := hurrah.Open(dir, opts)
	require.NoError(t, err)
	var cur atomic.Pointer[linHandle]
	cur.Store(&linHandle{db: db, next: make(chan struct{})})
	t.Cleanup(func() { cur.Load().db.Close() })

	keys := make([]string, cfg.keys)
	for i := range keys {
		if i%2 == 0 {
			keys[i] = "typed-" + strconv.Itoa(i)
		} else {
			keys[i] = "raw-" + strconv.Itoa(i)
		}
	}
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) } // monotonic

	total := cfg.clients * cfg.ops
	reopens := cfg.reopens
	if dir == "" {
		reopens = 0
	}
	triggers := make([]chan struct{}, reopens)
	for i := range triggers {
		triggers[i] = make(chan struct{})
	}
	var done, closed atomic.Int64
	var stop atomic.Bool // set when something failed: clients give up
	errs := make(chan error, cfg.clients+1)
	fail := func(err error) {
		stop.Store(true)
		errs <- err
	}

	gets := cfg.gets
	if gets == 0 {
		gets = 40
	}
	rest := 100 - gets // split among Set, Delete and CAS as 25:10:25
	var fast linFast

	histories := make([][]porcupine.Operation, cfg.clients)
	var clients sync.WaitGroup
	for c := range cfg.clients {
		clients.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			last := map[string]string{} // what this client last saw of each key
			var hist []porcupine.Operation
			for i := 0; i < cfg.ops && !stop.Load(); i++ {
				key := keys[rng.IntN(len(keys))]
				in := linInput{key: key}
				switch p := rng.IntN(100); {
				case p < gets:
					in.op = linGet
				case p < gets+rest*25/60:
					in.op = linSet
				case p < gets+rest*35/60:
					in.op = linDelete
				default:
					in.op = linCAS
					if v, ok := last[key]; ok && rng.IntN(5) > 0 {
						in.old = v
					} else {
						in.old = fmt.Sprintf("c%d.%d", rng.IntN(cfg.clients), rng.IntN(i+1))
					}
				}
				if in.op == linSet || in.op == linCAS {
					in.val = fmt.Sprintf("c%d.%d", c, i)
				}
				callCtx := ctx
				if rng.IntN(100) == 0 {
					// A context that is already over: the call may or
					// may not go through, and its outcome is unknown.
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					callCtx = cctx
				}

				h := cur.Load()
				call := now()
				out, err := linDo(callCtx, h.db, in)
				ret := now()
				if n := done.Add(1); reopens > 0 {
					for r := range reopens {
						if n == int64(total*(r+1)/(reopens+1)) {
							close(triggers[r])
						}
					}
				}
				switch {
				case err == nil:
				case errors.Is(err, hurrah.ErrClosed) || errors.Is(err, context.Canceled):
					if in.op != linGet {
						out, ret = linOutput{unknown: true}, linUnknownReturn
						hist = append(hist, porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret})
					}
					delete(last, key)
					if errors.Is(err, hurrah.ErrClosed) {
						closed.Add(1)
						select { // wait for the next handle
						case <-h.next:
						case <-ctx.Done():
							return
						}
					}
					continue
				default:
					fail(fmt.Errorf("client %d call %d %+v: %w", c, i, in, err))
					return
				}
				hist = append(hist, porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret})
				switch {
				case in.op == linGet && out.found:
					last[key] = out.val
				case in.op == linSet, in.op == linCAS && out.found:
					last[key] = in.val
				case in.op == linGet, in.op == linDelete:
					delete(last, key)
				}
			}
			histories[c] = hist
		})
	}
	clientsDone := make(chan struct{})
	go func() { clients.Wait(); close(clientsDone) }()
	var churn sync.WaitGroup
	if cfg.churn {
		churn.Go(func() { linChurn(ctx, &cur, clientsDone, fail) })
	}

	// reopen closes the current handle and publishes a new one on the same
	// directory. Whatever happens, it lets the clients waiting on the old
	// handle go on (after a failure, to stop).
	reopen := func() error {
		old := cur.Load()
		defer close(old.next)
		fast.add(old.db)
		if err := old.db.Close(); err != nil {
			return fmt.Errorf("close: %w", err)
		}
		db, err := hurrah.Open(dir, opts)
		if err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
		cur.Store(&linHandle{db: db, next: make(chan struct{})})
		if torn := db.Recovery().TornTail; torn != nil {
			return fmt.Errorf("reopen after a clean close found a torn tail: %+v", torn)
		}
		return nil
	}
	var coord sync.WaitGroup
	coord.Go(func() {
		for _, trig := range triggers {
			select {
			case <-trig:
			case <-clientsDone:
				select {
				case <-trig: // the clients finished first: reopen anyway
				default:
					return // a client failed before the run got there
				}
			}
			if err := reopen(); err != nil {
				fail(err)
				return
			}
		}
	})
	select {
	case <-clientsDone:
	case <-time.After(wait):
		stop.Store(true)
		t.Fatal("clients still running after the bound: something hangs")
	}
	coord.Wait()
	churn.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(total), done.Load(), "every call made")

	// What survived: reopen once more and read every key.
	if dir != "" {
		require.NoError(t, reopen())
	}
	var all []porcupine.Operation
	for _, h := range histories {
		all = append(all, h...)
	}
	for _, key := range keys {
		in := linInput{op: linGet, key: key}
		call := now()
		out, err := linDo(ctx, cur.Load().db, in)
		require.NoError(t, err)
		all = append(all, porcupine.Operation{ClientId: cfg.clients, Input: in, Call: call, Output: out, Return: now()})
	}
	fast.add(cur.Load().db)
	require.NoError(t, cur.Load().db.Close())
	return all, int(closed.Load()), fast.n.Load()
}

// linChurn snapshots, takes Views and writes keys that expire at once, on
// whatever handle is current, until the clients are done. A call that
// meets a close is skipped.
func linChurn(ctx context.Context, cur *atomic.Pointer[linHandle], done <-chan struct{}, fail func(error)) {
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		db := cur.Load().db
		var err error
		switch i % 4 {
		case 0:
			err = db.Snapshot(ctx)
		case 1:
			var v *hurrah.View
			if v, err = db.View(ctx); err == nil {
				v.Len()
				v.Close()
			}
		default:
			err = db.SetBytes(ctx, "exp-"+strconv.Itoa(i%64), []byte("x"), hurrah.TTL(time.Millisecond))
		}
		if err != nil && !errors.Is(err, hurrah.ErrClosed) {
			fail(fmt.Errorf("churn: %w", err))
			return
		}
	}
}

// linViewGet reads key through a View taken for the read, by a range
// scan from key to the key after it.
func linViewGet(ctx context.Context, db *hurrah.DB, key string) (linOutput, error) {
	var out linOutput
	v, err := db.View(ctx)
	if err != nil {
		return out, err
	}
	defer v.Close()
	seq, err := v.Range(key, key+"\x00", nil)
	if err != nil {
		return out, err
	}
	for _, b := range seq {
		out.val, out.found = string(b), true
	}
	return out, nil
}

// linDo makes one call on db. Keys named raw-* go through the Bytes calls,
// the others through the typed ones. A read of a missing key is not an
// error: it returns found false.
func linDo(ctx context.Context, db *hurrah.DB, in linInput) (linOutput, error) {
	raw := strings.HasPrefix(in.key, "raw-")
	var out linOutput
	var err error
	switch in.op {
	case linGet:
		switch {
		case raw && rand.IntN(2) == 0:
			// Through a View (from the owner, or lock-free from its
			// publication) and a range scan of the one key: the read
			// takes effect when the View is taken.
			out, err = linViewGet(ctx, db, in.key)
			return out, err
		case raw:
			var b []byte
			b, err = db.GetBytes(ctx, in.key)
			out.val = string(b)
		default:
			out.val, err = hurrah.Get[string](ctx, db, in.key)
		}
		out.found = err == nil
		if errors.Is(err, hurrah.ErrNotFound) {
			err = nil
		}
	case linSet:
		if raw && len(in.val)%2 == 0 {
			// A deadline far off: to the model, a plain Set.
			err = db.SetBytes(ctx, in.key, []byte(in.val), hurrah.TTL(time.Hour))
		} else if raw {
			err = db.SetBytes(ctx, in.key, []byte(in.val))
		} else {
			err = hurrah.Set(ctx, db, in.key, in.val)
		}
	case linDelete:
		out.found, err = db.Delete(ctx, in.key)
	case linCAS:
		if raw {
			out.found, err = db.CompareAndSwapBytes(ctx, in.key, []byte(in.old), []byte(in.val))
		} else {
			out.found, err = hurrah.CompareAndSwap(ctx, db, in.key, in.old, in.val)
		}
	}
	if err != nil {
		return linOutput{}, err
	}
	return out, nil
}

// linCheck requires porcupine to find history linearizable within the
// timeout; a timeout fails the test as surely as a violation. On failure it
// writes porcupine's visualization to a new directory under the system's
// temp directory and logs its path. (t.ArtifactDir would need Go 1.26, and
// the module asks for 1.25.)
func linCheck(t *testing.T, history []porcupine.Operation, timeout time.Duration) {
	t.Helper()
	res, info := porcupine.CheckOperationsVerbose(linModel, history, timeout)
	if res != porcupine.Ok {
		dir, err := os.MkdirTemp("", "hurrah-linearizability-")
		path := filepath.Join(dir, "linearizability.html")
		if err == nil {
			err = porcupine.VisualizePath(linModel, info, path)
		}
		if err != nil {
			t.Logf("visualization: %v", err)
		} else {
			t.Logf("visualization of the history: %s", path)
		}
	}
	require.Equal(t, porcupine.Ok, res, "porcupine's verdict on a history of %d calls (Unknown means it timed out)", len(history))
}

// linTamper returns history with one stale read added: a read of the value
// of a write w1, made just after a later write w2 returned, where w2 began
// after w1 returned. Values are unique per write, so no order can explain
// it. It picks the earliest such w2 on any key, so that few calls of unknown
// outcome (which porcupine must try at every later point) come before the
// read and refuting it stays quick. It reports false if history has no
// such pair of writes.
func linTamper(history []porcupine.Operation) ([]porcupine.Operation, bool) {
	writes := map[string][]porcupine.Operation{} // by key, known to have happened
	for _, op := range history {
		in, out := op.Input.(linInput), op.Output.(linOutput)
		if !out.unknown && (in.op == linSet || in.op == linCAS && out.found) {
			writes[in.key] = append(writes[in.key], op)
		}
	}
	var stale porcupine.Operation
	found := false
	for key, ws := range writes {
		for _, w2 := range ws {
			if found && w2.Return >= stale.Call {
				continue
			}
			for _, w1 := range ws {
				if w1.Return < w2.Call {
					stale = porcupine.Operation{
						ClientId: 0,
						Input:    linInput{op: linGet, key: key},
						Output:   linOutput{found: true, val: w1.Input.(linInput).val},
						Call:     w2.Return + 1,
						Return:   w2.Return + 2,
					}
					found = true
					break
				}
			}
		}
	}
	if !found {
		return nil, false
	}
	return append(slices.Clone(history), stale), true
}

// TestLinearizability records concurrent histories of 8 to 16 clients on a
// few keys, with the store closed and reopened in the middle of the run,
// and requires porcupine to find each linearizable. Set HURRAH_LONG=1 for
// many more and longer histories.
func TestLinearizability(t *testing.T) {
	long := harnessLong()
	histories, ops, reopens, timeout := 2, 120, 1, bound
	if long {
		histories, ops, reopens, timeout = 6, 1000, 3, 5*time.Minute
	}
	configs := []linConfig{
		{name: "memory", durability: hurrah.MemoryOnly, clients: 8, keys: 4, ops: ops},
		{name: "buffered", durability: hurrah.Buffered, clients: 10, keys: 4, ops: ops, reopens: reopens},
		{name: "written", durability: hurrah.Written, clients: 12, keys: 5, ops: ops, reopens: reopens},
		{name: "written-small-batches", durability: hurrah.Written, clients: 16, keys: 3, ops: ops, reopens: reopens,
			mailbox: 8, maxDrain: 3},
		{name: "synced", durability: hurrah.Synced, clients: 16, keys: 4, ops: ops, reopens: reopens},
		// Mostly reads, as the published image serves them, beside
		// snapshots, Views, folds and expiry.
		{name: "memory-read-mostly", durability: hurrah.MemoryOnly, clients: 12, keys: 6, ops: 2 * ops,
			gets: 85, churn: true},
		{name: "written-read-mostly", durability: hurrah.Written, clients: 12, keys: 6, ops: 2 * ops,
			reopens: reopens, gets: 85, churn: true},
	}
	var total linStats
	for ci, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			for h := range histories {
				seed := uint64(ci)<<32 | uint64(h)
				began := time.Now()
				history, closed, fast := linHistory(t, cfg, seed, timeout)
				if cfg.gets >= 80 {
					require.Positive(t, fast, "Gets answered from the published image")
				}
				recorded := time.Since(began)
				unknown := 0
				for _, op := range history {
					if op.Output.(linOutput).unknown {
						unknown++
					}
				}
				began = time.Now()
				linCheck(t, history, timeout)
				t.Logf("history %d (seed %#x): %d calls, %d writes of unknown outcome, %d calls met a close, %d Gets without the owner; recorded in %v, checked in %v",
					h, seed, len(history), unknown, closed, fast, recorded.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

				// The same history with one stale read added must fail:
				// the check is not vacuous on real histories.
				tampered, ok := linTamper(history)
				require.True(t, ok, "a history with two writes in a row on one key")
				// Verbose, so that the checker's goroutines are done when
				// it returns.
				res, _ := porcupine.CheckOperationsVerbose(linModel, tampered, timeout)
				require.Equal(t, porcupine.Illegal, res, "a stale read added to a recorded history")

				total.histories++
				total.ops += len(history)
				total.unknown += unknown
			}
		})
	}
	if !t.Failed() {
		t.Logf("figure: linearizability: %d histories, %d operations, all linearizable", total.histories, total.ops)
		t.Logf("(%d of those operations were writes of unknown outcome, cut short by a close or a canceled context)", total.unknown)
	}
}
