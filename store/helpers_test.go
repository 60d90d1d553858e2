package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/store"
)

// bound is the longest any test waits for something that should happen
// promptly. It is a failure bound, never a delay: tests wait on channels and
// only hit it when something is broken. Inside a synctest bubble it is fake
// time, so a deadlock fails at once instead of after ten seconds.
const bound = 10 * time.Second

var errBoom = errors.New("boom")

type kvEngine = store.Engine[store.Command, store.Query, store.Result]

// newKVEngine returns an engine, not started, over an empty KV whose state
// reflects LSN last.
func newKVEngine(last uint64) *kvEngine {
	return store.New[store.Command, store.Query, store.Result](store.NewKV(0), store.DecodeCommand, last)
}

// startMem starts a memory-only engine (nil sink) and closes it at cleanup.
func startMem(t *testing.T, opts actor.Options) *kvEngine {
	t.Helper()
	e := newKVEngine(0)
	e.Start(nil, opts)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Command constructors.

func set(k, v string) store.Command { return store.Command{Op: store.OpSet, Key: k, Value: []byte(v)} }
func del(k string) store.Command    { return store.Command{Op: store.OpDelete, Key: k} }
func clr() store.Command            { return store.Command{Op: store.OpClear} }
func bat(ms ...store.Mutation) store.Command {
	return store.Command{Op: store.OpBatch, Batch: ms}
}
func mset(k, v string) store.Mutation {
	return store.Mutation{Op: store.OpSet, Key: k, Value: []byte(v)}
}
func mdel(k string) store.Mutation { return store.Mutation{Op: store.OpDelete, Key: k} }

// mustEncode encodes c, failing the test on error. It is safe to call from
// any goroutine (it panics rather than calling t.FailNow).
func mustEncode(c store.Command) []byte {
	b, err := store.EncodeCommand(c)
	if err != nil {
		panic(fmt.Sprintf("encode %+v: %v", c, err))
	}
	return b
}

// update sends c with its real encoding.
func update(ctx context.Context, e *kvEngine, c store.Command, level store.Level) (store.Result, error) {
	return e.Update(ctx, c, mustEncode(c), level)
}

// get returns the value of k as the engine sees it.
func get(t *testing.T, e *kvEngine, k string) (string, bool) {
	t.Helper()
	r, err := e.Query(context.Background(), store.Query{Op: store.QueryGet, Key: k})
	require.NoError(t, err)
	return string(r.Value), r.Found
}

// querier is what engineState and kvState have in common.
type querier func(q store.Query) store.Result

// state reads every key and value through q.
func state(q querier) map[string]string {
	keys := q(store.Query{Op: store.QueryKeys}).Keys
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		r := q(store.Query{Op: store.QueryGet, Key: k})
		if !r.Found {
			panic("listed key " + k + " not found")
		}
		m[k] = string(r.Value)
	}
	if n := q(store.Query{Op: store.QueryLen}).N; n != len(m) {
		panic(fmt.Sprintf("QueryLen %d, QueryKeys %d", n, len(m)))
	}
	return m
}

func kvState(kv *store.KV) map[string]string { return state(kv.Query) }

func engineState(t *testing.T, e *kvEngine) map[string]string {
	t.Helper()
	return state(func(q store.Query) store.Result {
		r, err := e.Query(context.Background(), q)
		require.NoError(t, err)
		return r
	})
}

// kvWith returns a KV holding m.
func kvWith(t *testing.T, m map[string]string) *store.KV {
	t.Helper()
	kv := store.NewKV(len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		_, changed, err := kv.Apply(set(k, m[k]))
		require.NoError(t, err)
		require.True(t, changed)
	}
	return kv
}

// recv waits for ch to deliver, failing the test after bound.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// requireNotReady fails if ch already holds a value. Only meaningful after
// synctest.Wait, when every goroutine that could send has run as far as it
// can.
func requireNotReady[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("%s: got %v too early", what, v)
	default:
	}
}

// async runs f in a goroutine and returns a channel that delivers its result.
func async[T any](f func() T) <-chan T {
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	return ch
}

// gate holds one Append call: the call closes entered, then waits for
// release to be closed.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

// fakeSink is a store.Sink that records every Parcel it accepts.
//
// In manual mode (newFakeSink) accepted parcels are also delivered on
// appended and nothing is settled until the test calls settleWrite or
// settleSync; Close settles whatever is left with nil, as a journal's final
// flush would. In auto mode (newAutoSink) a settler goroutine settles every
// parcel, AfterWrite then AfterSync, asynchronously to the owner.
//
// gateNext makes the next Append block until released; fail puts the sink
// in a sticky failed state, after which Err and Append return that error.
type fakeSink struct {
	appended chan *handoff.Parcel // manual mode: every accepted parcel, in order

	mu         sync.Mutex
	parcels    []*handoff.Parcel
	writeDone  map[*handoff.Parcel]bool
	syncDone   map[*handoff.Parcel]bool
	gates      []*gate
	failErr    error
	closeErr   error // returned by Close
	closes     int
	violations []string

	auto        chan *handoff.Parcel // auto mode: feeds the settler
	settlerDone chan struct{}
}

func newFakeSink() *fakeSink {
	return &fakeSink{
		appended:  make(chan *handoff.Parcel, 4096),
		writeDone: make(map[*handoff.Parcel]bool),
		syncDone:  make(map[*handoff.Parcel]bool),
	}
}

func newAutoSink() *fakeSink {
	s := newFakeSink()
	s.appended = nil
	s.auto = make(chan *handoff.Parcel, 64)
	s.settlerDone = make(chan struct{})
	go func() {
		defer close(s.settlerDone)
		for b := range s.auto {
			s.settleWrite(b, nil)
			s.settleSync(b, nil)
		}
	}()
	return s
}

var _ store.Sink = (*fakeSink)(nil)

func (s *fakeSink) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Append implements store.Sink.
func (s *fakeSink) Append(ctx context.Context, b *handoff.Parcel) error {
	s.mu.Lock()
	if s.closes > 0 {
		s.violate("Append after Close")
	}
	if b == nil || b.Empty() {
		s.violate("empty parcel appended")
	}
	var g *gate
	if len(s.gates) > 0 {
		g, s.gates = s.gates[0], s.gates[1:]
	}
	s.mu.Unlock()

	if g != nil {
		close(g.entered)
		<-g.release
	}

	s.mu.Lock()
	if err := s.failErr; err != nil {
		s.mu.Unlock()
		return err // took nothing, settled nothing
	}
	s.parcels = append(s.parcels, b)
	s.mu.Unlock()

	if s.auto != nil {
		s.auto <- b
	} else {
		s.appended <- b
	}
	return nil
}

// Err implements store.Sink.
func (s *fakeSink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failErr
}

// Close implements store.Sink.
func (s *fakeSink) Close() error {
	s.mu.Lock()
	s.closes++
	first := s.closes == 1
	var left []*handoff.Parcel
	if first && s.auto == nil {
		left = append(left, s.parcels...)
	}
	err := s.closeErr
	s.mu.Unlock()
	if !first {
		return err
	}
	if s.auto != nil {
		close(s.auto)
		<-s.settlerDone
		return err
	}
	for _, b := range left {
		s.settleWrite(b, nil)
		s.settleSync(b, nil)
	}
	return err
}

// settleWrite settles b's AfterWrite waiters with err, once.
func (s *fakeSink) settleWrite(b *handoff.Parcel, err error) {
	s.mu.Lock()
	again := s.writeDone[b]
	s.writeDone[b] = true
	s.mu.Unlock()
	if again {
		return
	}
	for _, w := range b.AfterWrite {
		w.Done(err)
	}
}

// settleSync settles b's AfterSync waiters with err, once.
func (s *fakeSink) settleSync(b *handoff.Parcel, err error) {
	s.mu.Lock()
	again := s.syncDone[b]
	s.syncDone[b] = true
	s.mu.Unlock()
	if again {
		return
	}
	for _, w := range b.AfterSync {
		w.Done(err)
	}
}

// gateNext makes the next Append block until the gate is released.
func (s *fakeSink) gateNext() *gate {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.gates = append(s.gates, g)
	s.mu.Unlock()
	return g
}

// fail puts the sink in a sticky failed state.
func (s *fakeSink) fail(err error) {
	s.mu.Lock()
	s.failErr = err
	s.mu.Unlock()
}

// next returns the next accepted parcel (manual mode).
func (s *fakeSink) next(t *testing.T) *handoff.Parcel {
	t.Helper()
	return recv(t, s.appended, "a parcel to be appended")
}

// recorded returns the parcels accepted so far.
func (s *fakeSink) recorded() []*handoff.Parcel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*handoff.Parcel(nil), s.parcels...)
}

// entries returns every accepted entry, in Append order.
func (s *fakeSink) entries() []handoff.Entry {
	var all []handoff.Entry
	for _, b := range s.recorded() {
		all = append(all, b.Entries...)
	}
	return all
}

// closeCount returns how many times Close was called.
func (s *fakeSink) closeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

// check fails the test if the engine broke the Sink contract.
func (s *fakeSink) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Empty(t, s.violations)
}

// requireContiguous checks that entries carry LSNs first, first+1, ...
func requireContiguous(t *testing.T, entries []handoff.Entry, first uint64) {
	t.Helper()
	for i, en := range entries {
		require.Equal(t, first+uint64(i), en.LSN, "entry %d", i)
	}
}
