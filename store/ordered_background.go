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

// bgCatchUpMax is the most changed keys the owner catches a background
// tree up with in its turn, about a microsecond each. With more (a store
// written fast while the tree was built), the owner freezes the state
// again and the goroutine catches the tree up with that image's newer
// layers, which nothing changes while it is held, and hands it back
// again. A variable, for tests.
var bgCatchUpMax = 2048

// bgStep is the background goroutine's work: it returns what the owner
// runs next, which returns the goroutine's next step, or nil if done.
type bgStep func(ctx context.Context) (install func() bgStep)

// bgIndexer is implemented by machines whose index Start may build in the
// background (KV).
type bgIndexer interface {
	// indexLater builds a deferred index now if the state is small and
	// returns nil; else it returns the first step to run on a goroutine
	// of its own.
	indexLater() bgStep
}

var _ bgIndexer = (*KV)(nil)

// bgBuild is a background build of a KV's index from an image of it.
type bgBuild struct {
	kv   *KV
	gen  uint64 // the KV's generation at the first freeze
	t    ordered
	done func(installed bool) // bgIndexDone, as it was at the start
}

// indexLater implements bgIndexer.
func (kv *KV) indexLater() bgStep {
	if !kv.ordOff {
		return nil
	}
	if kv.size() < bgIndexMin {
		kv.buildIndex()
		return nil
	}
	im, release := kv.freeze(false)
	b := &bgBuild{kv: kv, gen: kv.gen, done: bgIndexDone}
	hook := bgIndexHook
	return func(ctx context.Context) func() bgStep {
		// Until the tree is built, Close (ctx) stops the work within a
		// run of keys (ordered_bgsort.go): the tree would be dropped.
		if keys, ok := collectKeys(ctx, im); ok {
			if keys, ok = sortKeysCtx(ctx, keys); ok {
				b.t = buildOrdered(keys)
			}
		}
		if hook != nil {
			hook(ctx)
		}
		return func() bgStep { return b.install(ctx, im, release) }
	}
}

// collectKeys returns the keys of im, or false if ctx ended first.
func collectKeys(ctx context.Context, im *image) ([]string, bool) {
	keys := make([]string, 0, im.n)
	for k := range im.All {
		if keys = append(keys, k); len(keys)%bgSortRun == 0 && ctx.Err() != nil {
			return nil, false
		}
	}
	return keys, true
}

// install runs in the owner, with the image im the tree is up to date
// with, and its release. It drops the tree if Close has begun, the index
// was built meanwhile or the state replaced (a Clear); else it catches it
// up with the changes made since im and installs it, or, if there are too
// many, returns the goroutine's step that catches up with them. Until im
// is released no layer is folded, so the layers after im's and the
// overlay hold every key created or removed since it was taken.
func (b *bgBuild) install(ctx context.Context, im *image, release func()) bgStep {
	kv := b.kv
	defer release()
	if ctx.Err() != nil || !kv.ordOff || kv.gen != b.gen {
		b.finish(false)
		return nil
	}
	newer := kv.layers[len(im.layers):]
	changed := len(kv.ovl)
	for _, l := range newer {
		changed += len(l)
	}
	if changed > bgCatchUpMax {
		next, nextRelease := kv.freeze(false) // before release: nothing folds between
		return func(ctx context.Context) func() bgStep {
			for _, l := range next.layers[len(im.layers):] {
				for k := range l {
					b.catchUp(k, next.raw)
				}
			}
			return func() bgStep { return b.install(ctx, next, nextRelease) }
		}
	}
	for _, l := range newer {
		for k := range l {
			b.catchUp(k, kv.raw)
		}
	}
	for k := range kv.ovl {
		b.catchUp(k, kv.raw)
	}
	kv.ord, kv.ordOff = b.t, false
	b.finish(true)
	return nil
}

// catchUp puts key in the tree or takes it out, as present says.
func (b *bgBuild) catchUp(key string, present func(string) ([]byte, bool)) {
	if _, ok := present(key); ok {
		b.t.insert(key) // a no-op if the tree has it
	} else {
		b.t.remove(key)
	}
}

// finish reports the end of the build to the test seam.
func (b *bgBuild) finish(installed bool) {
	if b.done != nil {
		b.done(installed)
	}
}

// raw is lookup in the image, expired keys included.
func (im *image) raw(key string) ([]byte, bool) { return lookup(im.m, im.layers, key) }

// indexLater starts building the machine's deferred index, if it has one,
// and returns the first step for startIndex. Call it before the owner
// starts.
func (e *Engine[C, Q, R]) indexLater() bgStep {
	if ix, ok := any(e.m).(bgIndexer); ok {
		return ix.indexLater()
	}
	if ix, ok := any(e.m).(indexer); ok {
		ix.buildIndex()
	}
	return nil
}

// startIndex runs step, if not nil, on a goroutine that Close waits for,
// hands what it returns to the owner, and runs the step that returns, if
// any, and so on. Once Close has begun the owner runs no more of it (or,
// stopped, never gets it), and the goroutine returns.
func (e *Engine[C, Q, R]) startIndex(step bgStep) {
	if step == nil {
		return
	}
	ctx := e.snap.ctx // canceled when Close begins
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for step != nil {
			install := step(ctx)
			next := make(chan bgStep, 1)
			r := &request[C, Q, R]{kind: kindIndexDone, read: func() { next <- install() }, fixed: true}
			if e.act.Send(context.Background(), r) != nil {
				return
			}
			select {
			case step = <-next:
			case <-ctx.Done():
				return
			}
		}
	}()
}
