package store_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// Cancellation and Close: how requests end other than by being served.

// TestEngineCanceledBeforeSend checks that a context that has already ended
// is reported and the command is never applied.
func TestEngineCanceledBeforeSend(t *testing.T) {
	e := startMem(t, actor.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 5000 {
		_, err := update(ctx, e, set(fmt.Sprint(i), "x"), store.AckApplied)
		require.ErrorIs(t, err, context.Canceled, "update %d", i)
		_, err = e.Query(ctx, store.Query{Op: store.QueryLen})
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, e.Sync(ctx), context.Canceled)
	}
	require.Empty(t, engineState(t, e))
}

// TestEngineCanceledWhileMailboxFull checks the deterministic half of the
// above: a caller that cannot get into a full mailbox gives up with ctx's
// error and its command is never applied.
func TestEngineCanceledWhileMailboxFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{Mailbox: 1})
		g := s.gateNext()
		_, err := update(bg, e, set("a", "1"), store.AckApplied)
		require.NoError(t, err)
		recv(t, g.entered, "Append to be entered")
		queued := async(func() error { _, err := update(bg, e, set("b", "1"), store.AckApplied); return err })
		synctest.Wait() // the mailbox is full

		ctx, cancel := context.WithCancel(bg)
		cancel()
		_, err = update(ctx, e, set("c", "1"), store.AckApplied)
		require.ErrorIs(t, err, context.Canceled)
		_, err = e.Query(ctx, store.Query{Op: store.QueryLen})
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, e.Sync(ctx), context.Canceled)

		close(g.release)
		require.NoError(t, recv(t, queued, "queued update"))
		require.Equal(t, map[string]string{"a": "1", "b": "1"}, engineState(t, e))
		require.NoError(t, e.Close())
		s.check(t)
		requireContiguous(t, s.entries(), 1)
		require.Len(t, s.entries(), 2)
	})
}

// TestEngineWithdrawn checks that a request whose caller gave up before the
// owner took it is never applied and consumes no LSN, while the requests
// around it are served.
func TestEngineWithdrawn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bg := context.Background()
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{})
		g := s.gateNext()
		_, err := update(bg, e, set("a", "1"), store.AckApplied)
		require.NoError(t, err)
		recv(t, g.entered, "Append to be entered") // the owner is stuck

		before := async(func() error { _, err := update(bg, e, set("b", "1"), store.AckApplied); return err })
		synctest.Wait()
		ctx, cancel := context.WithCancel(bg)
		withdrawn := async(func() error { _, err := update(ctx, e, set("w", "1"), store.AckSynced); return err })
		query := async(func() error { _, err := e.Query(ctx, store.Query{Op: store.QueryLen}); return err })
		synctest.Wait() // both are queued and their callers wait for replies
		after := async(func() error { _, err := update(bg, e, set("c", "1"), store.AckApplied); return err })
		synctest.Wait()
		cancel()
		require.ErrorIs(t, recv(t, withdrawn, "withdrawn update"), context.Canceled)
		require.ErrorIs(t, recv(t, query, "withdrawn query"), context.Canceled)

		close(g.release)
		require.NoError(t, recv(t, before, "update before"))
		require.NoError(t, recv(t, after, "update after"))
		require.Equal(t, map[string]string{"a": "1", "b": "1", "c": "1"}, engineState(t, e))
		require.NoError(t, e.Close())
		s.check(t)
		en := s.entries()
		require.Len(t, en, 3)
		requireContiguous(t, en, 1)
		require.Equal(t, map[string]string{"a": "1", "b": "1", "c": "1"}, engineStateAfterReplay(t, en))
	})
}

// TestEngineCanceledAfterTaken checks the other half of the Update contract:
// a caller that gives up after the owner took its command gets ctx's error,
// the command stays applied, and the sink can still settle it.
func TestEngineCanceledAfterTaken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := async(func() error { _, err := update(ctx, e, set("a", "1"), store.AckSynced); return err })
		b := s.next(t) // taken and applied
		cancel()
		require.ErrorIs(t, recv(t, done, "canceled update"), context.Canceled)
		s.settleWrite(b, nil)
		s.settleSync(b, nil) // must not block on the abandoned request

		// The engine keeps working, and pooled requests are not confused.
		for i := range 10 {
			_, err := update(context.Background(), e, set(fmt.Sprint(i), "v"), store.AckApplied)
			require.NoError(t, err)
		}
		v, ok := get(t, e, "a")
		require.True(t, ok)
		require.Equal(t, "1", v)
		require.NoError(t, e.Close())
		s.check(t)
		requireContiguous(t, s.entries(), 1)
	})
}

func TestEngineClose(t *testing.T) {
	ctx := context.Background()
	for _, closeErr := range []error{nil, errBoom} {
		t.Run(fmt.Sprint(closeErr), func(t *testing.T) {
			s := newAutoSink()
			s.closeErr = closeErr
			e := newKVEngine(0)
			e.Start(s, actor.Options{})
			_, err := update(ctx, e, set("a", "1"), store.AckApplied)
			require.NoError(t, err)

			// Concurrent and repeated Close calls all return the same
			// error and close the sink once.
			const closers = 4
			errs := make([]<-chan error, closers)
			for i := range errs {
				errs[i] = async(e.Close)
			}
			for _, ch := range errs {
				require.Equal(t, closeErr, recv(t, ch, "Close"))
			}
			require.Equal(t, closeErr, e.Close())
			require.Equal(t, 1, s.closeCount())

			_, err = update(ctx, e, set("b", "1"), store.AckApplied)
			require.ErrorIs(t, err, store.ErrClosed)
			_, err = e.Query(ctx, store.Query{Op: store.QueryLen})
			require.ErrorIs(t, err, store.ErrClosed)
			require.ErrorIs(t, e.Sync(ctx), store.ErrClosed)
			s.check(t)
			require.Len(t, s.entries(), 1)
		})
	}
}

func TestEngineCloseMemory(t *testing.T) {
	ctx := context.Background()
	e := newKVEngine(0)
	e.Start(nil, actor.Options{})
	_, err := update(ctx, e, set("a", "1"), store.AckSynced)
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, e.Close())
	_, err = update(ctx, e, set("b", "1"), store.AckApplied)
	require.ErrorIs(t, err, store.ErrClosed)
	_, err = e.Query(ctx, store.Query{Op: store.QueryGet, Key: "a"})
	require.ErrorIs(t, err, store.ErrClosed)
	require.ErrorIs(t, e.Sync(ctx), store.ErrClosed)
}

// TestEngineCloseServesQueued checks that Close serves every request queued
// before it, then closes the sink, whose final flush settles the waiters.
func TestEngineCloseServesQueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		const n = 10
		s := newFakeSink()
		e := newKVEngine(0)
		e.Start(s, actor.Options{MaxDrain: 3})
		g := s.gateNext()
		_, err := update(ctx, e, set("first", "0"), store.AckApplied)
		require.NoError(t, err)
		recv(t, g.entered, "Append to be entered")

		type result struct {
			r   store.Result
			err error
		}
		// Queue one at a time so the mailbox order is known.
		var queued []<-chan result
		for i := range n {
			lvl := levels[i%len(levels)]
			queued = append(queued, async(func() result {
				_, err := update(ctx, e, set(fmt.Sprint("k", i), "v"), lvl)
				return result{err: err}
			}))
			synctest.Wait()
		}
		queued = append(queued, async(func() result {
			r, err := e.Query(ctx, store.Query{Op: store.QueryLen})
			return result{r, err}
		}))
		synctest.Wait()
		syncDone := async(func() error { return e.Sync(ctx) })
		synctest.Wait()

		closed := async(e.Close)
		synctest.Wait()
		requireNotReady(t, closed, "Close while the owner is stuck")
		close(g.release)

		require.NoError(t, recv(t, closed, "Close"))
		for i, ch := range queued {
			res := recv(t, ch, fmt.Sprint("queued request ", i))
			require.NoError(t, res.err, "request %d", i)
			if i == n {
				require.Equal(t, n+1, res.r.N, "the query saw every update queued before it")
			}
		}
		require.NoError(t, recv(t, syncDone, "Sync"))
		s.check(t)
		require.Equal(t, 1, s.closeCount())
		en := s.entries()
		require.Len(t, en, n+1)
		requireContiguous(t, en, 1)
	})
}
