package hurrah

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const (
	workers      = 64
	opsPerWorker = 300
	smallKeys    = 12
)

// mixedOp runs one random operation on db and returns its error, with the
// results every caller may see whatever the others do (ErrNotFound for a
// read of a missing key) turned into nil. Values are strings, also when
// stored with SetBytes (as their CBOR encoding), so that any Get decodes.
func mixedOp(t *testing.T, db *DB, rng *rand.Rand, w, i int) error {
	ctx := t.Context()
	key := "key-" + strconv.Itoa(rng.IntN(smallKeys))
	val := fmt.Sprintf("w%d-i%d", w, i)
	var err error
	switch p := rng.IntN(100); {
	case p < 30:
		err = Set(ctx, db, key, val)
	case p < 45:
		var b []byte
		if b, err = valueEnc.Marshal(val); err == nil {
			err = db.SetBytes(ctx, key, b)
		}
	case p < 65:
		var s string
		s, err = Get[string](ctx, db, key)
		if err == nil && s == "" {
			err = fmt.Errorf("Get %q read an empty value", key)
		}
	case p < 72:
		_, err = db.GetBytes(ctx, key)
	case p < 80:
		_, err = db.Has(ctx, key)
	case p < 90:
		_, err = db.Delete(ctx, key)
	case p < 94:
		var n int
		n, err = db.Len(ctx)
		if err == nil && (n < 0 || n > smallKeys) {
			err = fmt.Errorf("Len %d out of range", n)
		}
	case p < 97:
		var keys []string
		keys, err = db.Keys(ctx)
		if err == nil && len(keys) > smallKeys {
			err = fmt.Errorf("%d keys", len(keys))
		}
	case p < 98:
		err = db.Sync(ctx)
	default:
		err = db.Clear(ctx)
	}
	if errors.Is(err, ErrNotFound) {
		err = nil
	}
	return err
}

// waitBounded waits for wg, failing the test if that takes longer than the
// bound (something hangs).
func waitBounded(t *testing.T, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(bound):
		t.Fatal("goroutines still running after the bound: something hangs")
	}
}

// snapshotModel reads the whole store into a model.
func snapshotModel(t *testing.T, db *DB) model {
	t.Helper()
	keys, err := db.Keys(t.Context())
	require.NoError(t, err)
	m := model{}
	for _, k := range keys {
		s, err := Get[string](t.Context(), db, k)
		require.NoError(t, err)
		m[k] = modelValue{s: s}
	}
	return m
}

func TestConcurrentMixed(t *testing.T) {
	for name, opts := range map[string]Options{
		"default":      {Durability: Written},
		"tiny mailbox": {Durability: Written, MailboxSize: 1, MaxDrain: 1, SegmentSize: MinSegmentSize},
	} {
		t.Run(name, func(t *testing.T) { concurrentMixed(t, opts) })
	}
}

func concurrentMixed(t *testing.T, opts Options) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := newDir(t)
	db, err := Open(dir, &opts)
	require.NoError(t, err)
	defer db.Close()

	start := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			<-start
			for i := range opsPerWorker {
				if err := mixedOp(t, db, rng, w, i); err != nil {
					errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
					return
				}
			}
		})
	}
	close(start)
	waitBounded(t, &wg)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Quiescent now: what the store holds is what a reopen must find.
	want := snapshotModel(t, db)
	require.NoError(t, db.Close())
	db2, err := Open(dir, nil)
	require.NoError(t, err)
	defer db2.Close()
	require.Nil(t, db2.Recovery().TornTail)
	requireContents(t, t.Context(), db2, want)
	require.NoError(t, db2.Close())
}

// TestConcurrentClose closes the store while 64 goroutines use it: each call
// must succeed or return ErrClosed, nothing may hang or leak, and the
// directory must reopen cleanly.
func TestConcurrentClose(t *testing.T) {
	for _, level := range []Durability{MemoryOnly, Buffered, Written, Synced} {
		t.Run(level.String(), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			dir := ""
			if level != MemoryOnly {
				dir = newDir(t)
			}
			db, err := Open(dir, &Options{Durability: level, SyncInterval: 5 * time.Millisecond})
			require.NoError(t, err)

			var ops atomic.Int64
			closeNow := make(chan struct{})
			var closeOnce sync.Once
			start := make(chan struct{})
			errs := make(chan error, workers)
			var closedSeen atomic.Int64
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(w), 2))
					<-start
					for i := range opsPerWorker {
						if ops.Add(1) == workers*opsPerWorker/3 {
							closeOnce.Do(func() { close(closeNow) })
						}
						err := mixedOp(t, db, rng, w, i)
						if errors.Is(err, ErrClosed) {
							closedSeen.Add(1)
							continue
						}
						if err != nil {
							errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
							return
						}
					}
				})
			}
			var closeErr error
			wg.Go(func() {
				<-closeNow
				closeErr = db.Close()
			})
			close(start)
			waitBounded(t, &wg)
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.NoError(t, closeErr)
			require.Positive(t, closedSeen.Load(), "some calls came after Close")
			require.NoError(t, db.Close())

			if dir != "" {
				db2, err := Open(dir, nil)
				require.NoError(t, err)
				require.Nil(t, db2.Recovery().TornTail)
				snapshotModel(t, db2) // every value decodes
				require.NoError(t, db2.Close())
			}
		})
	}
}
