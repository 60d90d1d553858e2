package hurrah

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestWatchValuesAreEachWatchersOwn: watchers share one decoding of each
// entry, but the value each reports is its own: one that changes its
// values or appends to them changes neither another watcher's values nor
// its own next ones.
func TestWatchValuesAreEachWatchersOwn(t *testing.T) {
	db := openT(t, newDir(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 100 // more than a block's worth of values
	want := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 60) }
	got := make([][][]byte, 2)
	// From the next write on: a watch from 0 starts at the first write
	// after it reads the LSN, which a write may pass while it attaches.
	from := db.Stats().AppliedLSN + 1
	var wg sync.WaitGroup
	for w := range got {
		wg.Go(func() {
			for c, err := range db.Watch(ctx, from, nil) {
				if err != nil {
					return
				}
				got[w] = append(got[w], c.Value)
				if w == 0 { // the first changes what it was given
					clear(c.Value)
					_ = append(c.Value, 0xff, 0xff)
				}
				if len(got[w]) == n {
					return
				}
			}
		})
	}
	// From their attaching on, each watcher finds every entry in the ring.
	require.Eventually(t, func() bool { return db.eng.Watchers() == 2 }, 10*time.Second, time.Millisecond)
	for i := range n {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprint("k", i), want(i)))
	}
	wg.Wait()
	require.Zero(t, db.Stats().WatchFallbacks, "read from the ring")
	for i := range n {
		require.Equal(t, make([]byte, 60), got[0][i], "the first's value %d, after it changed it", i)
		require.Equal(t, want(i), got[1][i], "the second's value %d", i)
	}
}

// TestWatchValuesOfALargeSetDoNotPinABlock is the watcher's side of
// store's TestChangesOfALargeSetDoNotPinTheValue: a value of up to
// maxBlockValue bytes is copied into the watcher's block of valueBlock
// bytes, so a consumer keeping it keeps up to valueBlock bytes alive (the
// promise was 256 more than the key before); a larger one has an
// allocation of its own, of its own size. A key never shares an
// allocation with its value: keeping only keys keeps no value alive.
func TestWatchValuesOfALargeSetDoNotPinABlock(t *testing.T) {
	var vs values
	prev := vs.copy(make([]byte, 1))
	for _, n := range []int{1, 100, maxBlockValue, maxBlockValue + 1, 64 << 10} {
		v := vs.copy(bytes.Repeat([]byte{1}, n))
		require.Len(t, v, n)
		require.Equal(t, n, cap(v), "appending reallocates")
		inBlock := uintptr(unsafe.Pointer(unsafe.SliceData(prev)))+uintptr(len(prev)) == uintptr(unsafe.Pointer(unsafe.SliceData(v)))
		require.Equal(t, n <= maxBlockValue, inBlock, "value of %d bytes in the block", n)
		if inBlock {
			prev = v
		}
	}
	require.NotNil(t, vs.copy(nil), "an empty value reads as empty, not missing")

	db := openT(t, newDir(t), nil)
	ctx := context.Background()
	changes := make(chan Change, 1)
	from := db.Stats().AppliedLSN + 1 // as in TestWatchValuesAreEachWatchersOwn
	go func() {
		for c, err := range db.Watch(ctx, from, nil) {
			if err == nil {
				changes <- c
			}
			return
		}
	}()
	require.Eventually(t, func() bool { return db.eng.Watchers() == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, db.SetBytes(ctx, "key", make([]byte, 10)))
	c := <-changes
	require.Equal(t, "key", c.Key)
	keyEnd := uintptr(unsafe.Pointer(unsafe.StringData(c.Key))) + uintptr(len(c.Key))
	require.NotEqual(t, keyEnd, uintptr(unsafe.Pointer(unsafe.SliceData(c.Value))), "key and value share an allocation")
}
