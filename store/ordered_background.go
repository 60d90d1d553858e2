package store

import "context"

// Building a deferred index (ordered_defer.go) in the background. Sorting
// a restored store's keys costs about 450 ns a key at 1M keys, more than
// restoring them, so Engine.Start no longer waits for it: the owner
// freezes the state without the index (an image shares the base map,
// which then stays put: every change goes into the overlay), a goroutine
// sorts the image's keys into a tree, and the owner installs the tree
// once it has caught it up with the keys created and removed since the
// freeze, which are exactly the keys of the layers and the overlay made
// after it. Until then the index stays deferred: whatever needs it first
// (a Freeze, a range scan, a range delete) builds it as before, and the
// background tree is dropped; so is one built for a state that a Clear
// replaced since (kv.gen).

// bgIndexMin is the fewest keys whose index is built in the background;
// a smaller store builds it in Start. Measured (BenchmarkBackgroundIndex)
// on the loaded 2-core machine: 16k keys take 3.4-3.7 ms in Start, under
// the 5 ms pause target, 64k keys 12-14 ms; in the background Start takes
// 0.1 ms and the index is ready as soon. A variable, for tests.
var bgIndexMin = 1 << 14

// Test seams, nil but in tests: bgIndexHook runs in the building
// goroutine once the tree is built, before it goes back to the owner;
// bgIndexDone runs in the owner after the install, and says whether it
// installed the tree.
var (
	bgIndexHook func(ctx context.Context)
	bgIndexDone func(installed bool)
)

// bgIndexer is implemented by machines whose index Start may build in the
// background (KV).
type bgIndexer interface {
	// indexLater builds a deferred index now if the state is small and
	// returns nil; else it returns the work to run on a goroutine of its
	// own, which returns what the owner runs to install the result.
	indexLater() func(ctx context.Context) (install func())
}

var _ bgIndexer = (*KV)(nil)

// indexLater implements bgIndexer.
func (kv *KV) indexLater() func(context.Context) func() {
	if !kv.ordOff {
		return nil
	}
	if kv.size() < bgIndexMin {
		kv.buildIndex()
		return nil
	}
	im, release := kv.freeze(false)
	gen, hook, done := kv.gen, bgIndexHook, bgIndexDone
	return func(ctx context.Context) func() {
		keys := make([]string, 0, im.n)
		for k := range im.All {
			keys = append(keys, k)
		}
		var t ordered
		if ctx.Err() == nil { // Close has begun: the tree would be dropped
			t = buildOrdered(sortKeys(keys))
		}
		if hook != nil {
			hook(ctx)
		}
		return func() {
			installed := ctx.Err() == nil && kv.installIndex(t, gen, len(im.layers))
			release()
			if done != nil {
				done(installed)
			}
		}
	}
}

// installIndex makes t, the index of an image taken at generation gen
// with the given number of layers, the index, once caught up with the
// changes made since; unless the index was built meanwhile or the state
// replaced; it reports whether it did. Owner only, before the image is
// released: until then no layer is folded, so the layers after the
// image's and the overlay hold every key created or removed since it was
// taken.
func (kv *KV) installIndex(t ordered, gen uint64, layers int) bool {
	if !kv.ordOff || kv.gen != gen {
		return false
	}
	catchUp := func(k string) {
		if _, ok := kv.raw(k); ok {
			t.insert(k) // a no-op if the tree has it
		} else {
			t.remove(k)
		}
	}
	for _, l := range kv.layers[layers:] {
		for k := range l {
			catchUp(k)
		}
	}
	for k := range kv.ovl {
		catchUp(k)
	}
	kv.ord, kv.ordOff = t, false
	return true
}

// indexLater starts building the machine's deferred index, if it has one,
// and returns the work for startIndex. Call it before the owner starts.
func (e *Engine[C, Q, R]) indexLater() func(context.Context) func() {
	if ix, ok := any(e.m).(bgIndexer); ok {
		return ix.indexLater()
	}
	if ix, ok := any(e.m).(indexer); ok {
		ix.buildIndex()
	}
	return nil
}

// startIndex runs build, if not nil, on a goroutine that Close waits for,
// and hands what it returns to the owner. If the owner has stopped by
// then, the send fails and the tree is dropped.
func (e *Engine[C, Q, R]) startIndex(build func(context.Context) func()) {
	if build == nil {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		install := build(e.snap.ctx)
		r := &request[C, Q, R]{kind: kindIndexDone, read: install, fixed: true}
		_ = e.act.Send(context.Background(), r)
	}()
}
