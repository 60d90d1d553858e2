package hurrah

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync/atomic"

	"github.com/hurrahdb/hurrah/store"
)

// View is a read-only image of the whole store at one point in time. A key
// whose deadline passes while the View is open disappears from it as from
// the store (see SetOption). Taking
// one costs the owner goroutine next to nothing (the map is shared, not
// copied), and reading it, however long, never holds up writers: while any
// View is open the store keeps its changes aside and folds them back, in
// small steps, once the last View is closed. So close a View when done:
// an open one keeps the changes made since it was taken in memory twice.
//
// A View's methods run in the calling goroutine and are safe for
// concurrent use, but Close must wait until every read is done. Values it
// yields are the stored bytes: do not change them.
type View struct {
	db      *DB
	img     store.KVImage
	release func()
	local   bool // release runs in the caller: the image came from a publication
	closed  atomic.Bool
}

// View returns a point-in-time view of the store. Close it when done.
//
// If nothing changed since the owner last published an image of the store
// with its ordered index (store.Engine.PublishedView), the View is that
// image, taken with no round trip to the owner and closed with none.
func (db *DB) View(ctx context.Context) (*View, error) {
	if err := db.check(); err != nil {
		return nil, err
	}
	if img, release, ok := db.eng.PublishedView(); ok {
		return &View{db: db, img: img, release: release, local: true}, nil
	}
	v := &View{db: db}
	// state settles a race between the owner handing over the image and
	// this caller giving up on it: whoever moves it first from 0 wins.
	var state atomic.Int32 // 0: waiting; 1: handed over; 2: abandoned
	err := db.eng.Read(ctx, func() {
		img, release, _ := db.kv.Freeze() // a KV never fails to freeze
		v.img, v.release = img.(store.KVImage), release
		if !state.CompareAndSwap(0, 1) {
			release() // the caller has gone
		}
	})
	if err != nil && state.CompareAndSwap(0, 2) {
		return nil, db.err(err)
	}
	return v, nil
}

// Close releases the view. It is idempotent, and a no-op once the store
// is closed.
func (v *View) Close() error {
	if v.closed.Swap(true) {
		return nil
	}
	if v.local {
		v.release()
		return nil
	}
	err := v.db.eng.Read(context.Background(), v.release)
	if errors.Is(err, store.ErrClosed) {
		return nil // the owner has stopped: nothing to release
	}
	return err
}

// Len returns the number of keys in the view, less those expired by now,
// or 0 after Close: the view's maps may be folded back by then.
func (v *View) Len() int {
	if v.check() != nil {
		return 0
	}
	return v.img.LiveLen()
}

// GetBytes returns the bytes stored under key in the view, or ErrNotFound.
func (v *View) GetBytes(key string) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	b, ok := v.img.Get(key)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, key)
	}
	return b, nil
}

// ViewGet returns the value stored under key in v, decoded into a T, like
// Get.
func ViewGet[T any](v *View, key string) (T, error) {
	b, err := v.GetBytes(key)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeValue[T](v.db.opts.Codec, key, b)
}

// All yields every key and its stored bytes, in no particular order. Use
// Decode for values stored with Set (or, with another codec than the
// default, the codec's Unmarshal). It yields nothing after Close.
func (v *View) All() iter.Seq2[string, []byte] {
	return v.Prefix("")
}

// Prefix yields every key that starts with prefix, and its stored bytes,
// in no particular order. It looks at every key in the view. Keys expired
// when it starts are left out.
func (v *View) Prefix(prefix string) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		if v.check() != nil {
			return
		}
		for k, b := range v.img.Live {
			if strings.HasPrefix(k, prefix) && !yield(k, b) {
				return
			}
		}
	}
}

// Sorted yields every key that starts with prefix, and its stored bytes,
// in increasing byte order of the keys, as Range does: it finds the first
// in O(log n). Keys expired when it starts are left out.
func (v *View) Sorted(prefix string) iter.Seq2[string, []byte] { return v.sortedPrefix(prefix) }

func (v *View) check() error {
	if v.closed.Load() {
		return ErrClosed
	}
	return nil
}
