package store_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/actor"
	"github.com/hurrahdb/hurrah/store"
)

// Images of the key-value machine: Freeze, release, Fold, Restore.

// imageContents reads every record of img. It fails on a key yielded twice
// or a Len that disagrees with All. It is safe from any goroutine.
func imageContents(img store.Image) (map[string]string, error) {
	m := make(map[string]string, img.Len())
	for k, v := range img.All {
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("key %q yielded twice", k)
		}
		m[k] = string(v)
	}
	if n := img.Len(); n != len(m) {
		return nil, fmt.Errorf("Len is %d, All yields %d", n, len(m))
	}
	return m, nil
}

// requireImage checks that img holds exactly want, through All, Len and Get.
func requireImage(t *testing.T, want map[string]string, img store.Image, msgAndArgs ...any) {
	t.Helper()
	got, err := imageContents(img)
	require.NoError(t, err, msgAndArgs...)
	require.Equal(t, want, got, msgAndArgs...)
	ki, ok := img.(store.KVImage)
	require.True(t, ok, "a KV image answers Get")
	for k, v := range want {
		g, found := ki.Get(k)
		require.True(t, found, append([]any{"Get %q", k}, msgAndArgs...)...)
		require.Equal(t, v, string(g), msgAndArgs...)
	}
}

// records turns an image into what Restore reads.
func records(img store.Image) func(yield func(k, v []byte) bool) {
	return func(yield func(k, v []byte) bool) {
		for k, v := range img.All {
			if !yield([]byte(k), v) {
				return
			}
		}
	}
}

// recordList yields kvs as key, value pairs, in order.
func recordList(kvs ...string) func(yield func(k, v []byte) bool) {
	return func(yield func(k, v []byte) bool) {
		for i := 0; i+1 < len(kvs); i += 2 {
			if !yield([]byte(kvs[i]), []byte(kvs[i+1])) {
				return
			}
		}
	}
}

func setAbsent(k, v string) store.Command {
	return store.Command{Op: store.OpSetAbsent, Key: k, Value: []byte(v)}
}

// apply applies c to kv and fails the test on an error.
func apply(t *testing.T, kv *store.KV, c store.Command) store.Result {
	t.Helper()
	r, _, err := kv.Apply(c)
	require.NoError(t, err)
	return r
}

// freeze freezes kv and returns the image as a KVImage.
func freeze(t *testing.T, kv *store.KV) (store.KVImage, func()) {
	t.Helper()
	img, release, err := kv.Freeze()
	require.NoError(t, err)
	ki, ok := img.(store.KVImage)
	require.True(t, ok, "KV.Freeze returns a KVImage")
	return ki, release
}

// foldAll folds kv until Fold reports nothing left, and returns the number
// of calls.
func foldAll(t *testing.T, kv *store.KV) int {
	t.Helper()
	for i := 1; ; i++ {
		if !store.Fold(kv) {
			return i
		}
		require.Less(t, i, 1_000_000, "Fold never finishes")
	}
}

// ---- model-based test ----

// openImage is an image the model test holds, with what it must show.
type openImage struct {
	img     store.KVImage
	release func()
	want    map[string]string
	gen     int // the model's generation of the base map when frozen
}

// kvModel drives a KV and a plain map side by side.
type kvModel struct {
	t     *testing.T
	rng   *rand.Rand
	kv    *store.KV
	model map[string]string
	open  []*openImage
	gen   int // bumped whenever the KV must have a new base map (Clear, Restore)
	step  int
	// bulkTTL counts down the steps a large state may live: checking it
	// after every step is what makes this test slow. At zero the bulk keys
	// are deleted and large images released.
	bulkTTL int

	// What happened, summed over seeds, so the test can check it covered
	// the interesting cases.
	cov *kvCoverage
}

type kvCoverage struct {
	foldMore       int // Fold calls that reported more to do
	bigFolds       int // fold-all runs that needed several calls
	bulkSets       int
	clearsWithOpen int // clears while an image was open
	staleReleases  int // releases of images frozen before a Clear or Restore
	doubleReleases int
	restores       int
	freezesOverOvl int // freezes while the overlay held entries
}

const (
	smallKeys = 48
	bulkKeys  = 8000 // "b0" and on: the keys bulk batches write
)

func (m *kvModel) key() string {
	switch p := m.rng.IntN(100); {
	case p < 2:
		return ""
	case p < 4:
		return "\xff\xfe"
	case p < 88:
		return fmt.Sprint("k", m.rng.IntN(smallKeys))
	default:
		return fmt.Sprint("b", m.rng.IntN(bulkKeys))
	}
}

func (m *kvModel) value() string {
	if m.rng.IntN(20) == 0 {
		return ""
	}
	return fmt.Sprintf("v%d.%d", m.step, m.rng.IntN(1000))
}

// shared returns how many open images share the current base map.
func (m *kvModel) shared() int {
	n := 0
	for _, o := range m.open {
		if o.gen == m.gen {
			n++
		}
	}
	return n
}

// do applies c to both and checks the result.
func (m *kvModel) do(c store.Command, want store.Result, changed bool) {
	t := m.t
	t.Helper()
	r, ch, err := m.kv.Apply(c)
	require.NoError(t, err, "step %d: %+v", m.step, c)
	require.Equal(t, want, r, "step %d: %+v", m.step, c)
	require.Equal(t, changed, ch, "step %d: %+v", m.step, c)
}

func (m *kvModel) opSet() {
	k, v := m.key(), m.value()
	m.do(set(k, v), store.Result{}, true)
	m.model[k] = v
}

func (m *kvModel) opDelete() {
	k := m.key()
	_, had := m.model[k]
	m.do(del(k), store.Result{Found: had}, had)
	delete(m.model, k)
}

func (m *kvModel) opCAS() {
	k, v := m.key(), m.value()
	cur, had := m.model[k]
	old := cur
	if !had || m.rng.IntN(3) == 0 {
		old = m.value() + "x"
	}
	ok := had && old == cur
	m.do(cas(k, old, v), store.Result{Found: ok}, ok)
	if ok {
		m.model[k] = v
	}
}

func (m *kvModel) opSetAbsent() {
	k, v := m.key(), m.value()
	_, had := m.model[k]
	m.do(setAbsent(k, v), store.Result{Found: !had}, !had)
	if !had {
		m.model[k] = v
	}
}

func (m *kvModel) opBatch() {
	ms := make([]store.Mutation, 1+m.rng.IntN(6))
	for i := range ms {
		if m.rng.IntN(3) == 0 {
			ms[i] = mdel(m.key())
		} else {
			ms[i] = mset(m.key(), m.value())
		}
	}
	m.do(bat(ms...), store.Result{}, true)
	m.applyBatch(ms)
}

func (m *kvModel) applyBatch(ms []store.Mutation) {
	for _, mu := range ms {
		if mu.Op == store.OpSet {
			m.model[mu.Key] = string(mu.Value)
		} else {
			delete(m.model, mu.Key)
		}
	}
}

func (m *kvModel) opBadBatch() {
	c := bat(mset(m.key(), m.value()), mdel(m.key()), store.Mutation{Op: store.OpClear})
	_, changed, err := m.kv.Apply(c)
	require.Error(m.t, err)
	require.False(m.t, changed)
}

func (m *kvModel) opClear() {
	had := len(m.model) > 0
	m.do(clr(), store.Result{}, had)
	if had {
		m.gen++
		clear(m.model)
		if len(m.open) > 0 {
			m.cov.clearsWithOpen++
		}
	}
}

// opBulkSet sets more keys than one fold step moves, in one batch, so that
// an overlay built while an image is open needs several steps to fold.
func (m *kvModel) opBulkSet() {
	n := store.FoldStep + 1 + m.rng.IntN(bulkKeys-store.FoldStep-1)
	first := m.rng.IntN(bulkKeys - n + 1)
	ms := make([]store.Mutation, n)
	for i := range ms {
		ms[i] = mset(fmt.Sprint("b", first+i), fmt.Sprintf("bulk%d.%d", m.step, i))
	}
	m.do(bat(ms...), store.Result{}, true)
	m.applyBatch(ms)
	m.cov.bulkSets++
	m.bulkTTL = 1 + m.rng.IntN(16)
}

// expireBulk ends a large state whose time is up: it releases the large
// images and deletes the bulk keys.
func (m *kvModel) expireBulk() {
	if m.bulkTTL == 0 {
		return
	}
	if m.bulkTTL--; m.bulkTTL > 0 {
		return
	}
	for i := 0; i < len(m.open); {
		if len(m.open[i].want) < 1000 {
			i++
			continue
		}
		if m.open[i].gen != m.gen {
			m.cov.staleReleases++
		}
		m.open[i].release()
		m.open = append(m.open[:i], m.open[i+1:]...)
		m.check()
	}
	m.opBulkDelete()
}

// opBulkEpisode builds an overlay of more than one fold step while an
// image shares the map, releases every image that shares it, and folds it
// all back, checking after each step.
func (m *kvModel) opBulkEpisode() {
	if m.shared() == 0 {
		m.opFreeze()
		m.check()
	}
	m.opBulkSet()
	m.check()
	for i := 0; i < len(m.open); {
		if m.open[i].gen != m.gen {
			i++
			continue
		}
		m.open[i].release()
		m.open = append(m.open[:i], m.open[i+1:]...)
		m.check()
	}
	m.opFoldAll()
	m.bulkTTL = 1 + m.rng.IntN(4)
}

// opBulkDelete deletes every bulk key the state holds, in one batch.
func (m *kvModel) opBulkDelete() {
	var ms []store.Mutation
	for k := range m.model {
		if len(k) > 1 && k[0] == 'b' {
			ms = append(ms, mdel(k))
		}
	}
	if len(ms) == 0 {
		m.opDelete()
		return
	}
	m.do(bat(ms...), store.Result{}, true)
	m.applyBatch(ms)
}

func (m *kvModel) opFreeze() {
	if len(m.open) >= 3 {
		m.opFold()
		return
	}
	if store.OverlayLen(m.kv) > 0 {
		m.cov.freezesOverOvl++
	}
	img, release := freeze(m.t, m.kv)
	m.open = append(m.open, &openImage{img: img, release: release, want: maps.Clone(m.model), gen: m.gen})
}

func (m *kvModel) opRelease() {
	if len(m.open) == 0 {
		return
	}
	i := m.rng.IntN(len(m.open))
	o := m.open[i]
	m.open = append(m.open[:i], m.open[i+1:]...)
	if o.gen != m.gen {
		m.cov.staleReleases++
	}
	o.release()
	if m.rng.IntN(4) == 0 {
		o.release() // a second call must count for nothing
		m.cov.doubleReleases++
	}
}

// opFold calls Fold once and checks what it did against the model.
func (m *kvModel) opFold() bool {
	t := m.t
	before, had := store.OverlayLen(m.kv), store.HasOverlay(m.kv)
	more := store.Fold(m.kv)
	after := store.OverlayLen(m.kv)
	if m.shared() > 0 || !had {
		require.False(t, more, "step %d: Fold while shared or without an overlay", m.step)
		require.Equal(t, before, after, "step %d: Fold moved entries while an image shares the map", m.step)
		return false
	}
	require.Equal(t, before > store.FoldStep, more, "step %d: Fold of %d entries", m.step, before)
	require.Equal(t, max(before-store.FoldStep, 0), after, "step %d: Fold of %d entries", m.step, before)
	require.Equal(t, more, store.HasOverlay(m.kv), "step %d: the overlay goes once empty", m.step)
	if more {
		m.cov.foldMore++
	}
	return more
}

func (m *kvModel) opFoldAll() {
	calls := 1
	for m.opFold() {
		calls++
		m.check()
	}
	if calls > 1 {
		m.cov.bigFolds++
	}
	if m.shared() == 0 {
		require.False(m.t, store.HasOverlay(m.kv), "step %d: folded all", m.step)
	}
}

// opRestore replaces the state with an open image's records (or an empty
// one): a fresh base map that no open image shares.
func (m *kvModel) opRestore() {
	if len(m.open) == 0 {
		require.NoError(m.t, m.kv.Restore(0, recordList()))
		clear(m.model)
	} else {
		o := m.open[m.rng.IntN(len(m.open))]
		require.NoError(m.t, m.kv.Restore(o.img.Len(), records(o.img)))
		m.model = maps.Clone(o.want)
		if len(m.model) >= 1000 {
			m.bulkTTL = 1 + m.rng.IntN(4)
		}
	}
	m.gen++
	m.cov.restores++
}

// check compares the KV and every open image with the model.
func (m *kvModel) check() {
	t := m.t
	t.Helper()
	kv := m.kv
	// Plain comparisons in the loops: a require call per key costs more
	// than the rest of the test.
	require.Equal(t, len(m.model), kv.Query(store.Query{Op: store.QueryLen}).N, "step %d: Len", m.step)
	keys := kv.Query(store.Query{Op: store.QueryKeys})
	require.Equal(t, len(m.model), keys.N, "step %d: Keys.N", m.step)
	require.Len(t, keys.Keys, len(m.model), "step %d: Keys", m.step)
	seen := make(map[string]bool, len(keys.Keys))
	for _, k := range keys.Keys {
		r := kv.Query(store.Query{Op: store.QueryGet, Key: k})
		w, ok := m.model[k]
		if seen[k] || !ok || !r.Found || w != string(r.Value) {
			t.Fatalf("step %d: key %q: listed twice %v, in model %v (%q), Get found %v (%q)",
				m.step, k, seen[k], ok, w, r.Found, r.Value)
		}
		seen[k] = true
	}
	for _, k := range m.probeKeys() {
		r := kv.Query(store.Query{Op: store.QueryGet, Key: k})
		w, ok := m.model[k]
		if ok != r.Found || w != string(r.Value) {
			t.Fatalf("step %d: Get %q = %q, %v; want %q, %v", m.step, k, r.Value, r.Found, w, ok)
		}
	}
	require.Equal(t, m.shared(), store.SharedImages(kv), "step %d: images sharing the base map", m.step)

	for j, o := range m.open {
		require.Equal(t, len(o.want), o.img.Len(), "step %d: image %d: Len", m.step, j)
		clear(seen)
		n := 0
		for k, v := range o.img.All {
			w, ok := o.want[k]
			if seen[k] || !ok || w != string(v) {
				t.Fatalf("step %d: image %d changed: key %q yielded twice %v, frozen %v (%q), yielded %q",
					m.step, j, k, seen[k], ok, w, v)
			}
			seen[k] = true
			n++
		}
		require.Equal(t, len(o.want), n, "step %d: image %d: records yielded", m.step, j)
		for _, k := range m.probeKeys() {
			v, ok := o.img.Get(k)
			w, wok := o.want[k]
			if ok != wok || w != string(v) {
				t.Fatalf("step %d: image %d: Get %q = %q, %v; want %q, %v", m.step, j, k, v, ok, w, wok)
			}
		}
	}
}

// probeKeys returns keys to look up, present or not: every small key and a
// few bulk ones.
func (m *kvModel) probeKeys() []string {
	keys := make([]string, 0, smallKeys+10)
	for i := range smallKeys {
		keys = append(keys, fmt.Sprint("k", i))
	}
	keys = append(keys, "", "\xff\xfe")
	for range 8 {
		keys = append(keys, fmt.Sprint("b", m.rng.IntN(bulkKeys)))
	}
	return keys
}

// TestKVImagesModel runs random sequences of every command, Freeze, release,
// Fold and Restore against a KV and a plain map, with up to three images
// open, each holding a copy of the map as it was frozen. After every step
// the KV must equal the map and every open image its copy.
func TestKVImagesModel(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	steps := 3000
	if testing.Short() {
		seeds, steps = seeds[:2], 1000
	}
	cov := &kvCoverage{}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			m := &kvModel{
				t:     t,
				rng:   rand.New(rand.NewPCG(seed, 0x1a2b)),
				kv:    store.NewKV(0),
				model: make(map[string]string),
				cov:   cov,
			}
			for m.step = 0; m.step < steps; m.step++ {
				switch p := m.rng.IntN(1000); {
				case p < 280:
					m.opSet()
				case p < 400:
					m.opDelete()
				case p < 480:
					m.opCAS()
				case p < 540:
					m.opSetAbsent()
				case p < 640:
					m.opBatch()
				case p < 650:
					m.opBadBatch()
				case p < 662:
					m.opClear()
				case p < 722:
					m.opFreeze()
				case p < 782:
					m.opRelease()
				case p < 882:
					m.opFold()
				case p < 902:
					m.opFoldAll()
				case p < 902:
					m.opBulkSet()
				case p < 904:
					m.opBulkEpisode()
				case p < 910:
					m.opBulkDelete()
				case p < 918:
					m.opRestore()
				default:
					m.opSet()
				}
				m.check()
				m.expireBulk()
				m.check()
			}
			// Release everything and fold: the KV ends as a plain map.
			for len(m.open) > 0 {
				m.opRelease()
				m.check()
			}
			m.opFoldAll()
			require.False(t, store.HasOverlay(m.kv))
			m.check()
		})
	}
	if t.Failed() || testing.Short() {
		return
	}
	t.Logf("coverage: %+v", *cov)
	require.Positive(t, cov.foldMore, "no Fold had more to do")
	require.Positive(t, cov.bigFolds, "no fold took several steps")
	require.Positive(t, cov.clearsWithOpen)
	require.Positive(t, cov.staleReleases)
	require.Positive(t, cov.doubleReleases)
	require.Positive(t, cov.restores)
	require.Positive(t, cov.freezesOverOvl)
}

// TestKVFoldBigOverlay walks one large overlay through its life: built
// while an image is open, partly folded, written to and frozen again in the
// middle of folding, then folded to the end.
func TestKVFoldBigOverlay(t *testing.T) {
	const base, extra = 3000, 3*store.FoldStep + 100
	model := make(map[string]string)
	kv := store.NewKV(0)
	for i := range base {
		k := fmt.Sprint("base", i)
		apply(t, kv, set(k, "0"))
		model[k] = "0"
	}
	a, releaseA := freeze(t, kv)
	wantA := maps.Clone(model)
	require.Equal(t, 1, store.SharedImages(kv))

	// Overwrite, delete and add: every change goes to the overlay.
	for i := range base {
		k := fmt.Sprint("base", i)
		if i%3 == 0 {
			apply(t, kv, del(k))
			delete(model, k)
		} else {
			apply(t, kv, set(k, "1"))
			model[k] = "1"
		}
	}
	for i := range extra {
		k := fmt.Sprint("new", i)
		apply(t, kv, set(k, "n"))
		model[k] = "n"
	}
	// A key added then deleted while shared leaves nothing behind.
	apply(t, kv, set("ghost", "g"))
	apply(t, kv, del("ghost"))
	ovl := store.OverlayLen(kv)
	require.Equal(t, base+extra, ovl)
	require.False(t, store.Fold(kv), "no folding while an image shares the map")
	require.Equal(t, ovl, store.OverlayLen(kv))
	requireImage(t, wantA, a)
	require.Equal(t, model, kvState(kv))

	releaseA()
	require.Zero(t, store.SharedImages(kv))
	require.True(t, store.Fold(kv))
	require.Equal(t, ovl-store.FoldStep, store.OverlayLen(kv))
	require.Equal(t, model, kvState(kv))

	// Writes in the middle of folding go to the base map at once.
	apply(t, kv, set("base1", "2"))
	model["base1"] = "2"
	apply(t, kv, del("base2"))
	delete(model, "base2")
	apply(t, kv, set("base0", "back")) // deleted in the overlay, set again
	model["base0"] = "back"
	apply(t, kv, set("late", "l"))
	model["late"] = "l"
	require.Equal(t, model, kvState(kv))

	// A freeze in the middle of folding copies what is left of the overlay.
	b, releaseB := freeze(t, kv)
	wantB := maps.Clone(model)
	left := store.OverlayLen(kv)
	require.False(t, store.Fold(kv))
	require.Equal(t, left, store.OverlayLen(kv))
	apply(t, kv, set("afterB", "x"))
	model["afterB"] = "x"
	apply(t, kv, del("new5"))
	delete(model, "new5")
	requireImage(t, wantB, b)
	releaseB()

	calls := foldAll(t, kv)
	require.GreaterOrEqual(t, calls, 2)
	require.LessOrEqual(t, calls, (left+2)/store.FoldStep+2)
	require.False(t, store.HasOverlay(kv))
	require.Equal(t, model, kvState(kv))
	require.False(t, store.Fold(kv), "nothing left")
}

// TestKVFoldExactStep checks the boundary: an overlay of exactly FoldStep
// entries folds in one call, one more needs two.
func TestKVFoldExactStep(t *testing.T) {
	for _, n := range []int{0, 1, store.FoldStep - 1, store.FoldStep, store.FoldStep + 1, 2 * store.FoldStep} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			kv := store.NewKV(0)
			_, release := freeze(t, kv)
			want := make(map[string]string, n)
			for i := range n {
				k := fmt.Sprint(i)
				apply(t, kv, set(k, k))
				want[k] = k
			}
			require.Equal(t, n, store.OverlayLen(kv))
			release()
			calls := foldAll(t, kv)
			require.Equal(t, max(1, (n+store.FoldStep-1)/store.FoldStep), calls)
			require.False(t, store.HasOverlay(kv))
			require.Equal(t, want, kvState(kv))
		})
	}
}

// TestKVImageOfOverlay checks an image frozen while another is open: it
// must see the overlay's changes, deletions included, and neither image
// may see what came after it.
func TestKVImageOfOverlay(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1", "b": "2", "c": "3"})
	a, releaseA := freeze(t, kv)
	apply(t, kv, set("a", "x"))
	apply(t, kv, del("b"))
	apply(t, kv, set("d", "4"))
	apply(t, kv, set("e", "5"))
	apply(t, kv, del("e"))
	b, releaseB := freeze(t, kv)
	apply(t, kv, set("b", "again"))
	apply(t, kv, del("d"))
	apply(t, kv, clr())
	apply(t, kv, set("z", "z"))

	requireImage(t, map[string]string{"a": "1", "b": "2", "c": "3"}, a)
	requireImage(t, map[string]string{"a": "x", "c": "3", "d": "4"}, b)
	for _, k := range []string{"b", "e", "z"} {
		_, ok := b.Get(k)
		require.False(t, ok, k)
	}
	_, ok := a.Get("d")
	require.False(t, ok)
	require.Equal(t, map[string]string{"z": "z"}, kvState(kv))
	releaseA()
	releaseB()
	require.Zero(t, store.SharedImages(kv), "images frozen before a Clear do not count against the new map")
}

// TestKVImageAllStopsEarly breaks out of All at every position, in the base
// map part and in the overlay part: All must stop when told (the range
// machinery panics if it does not).
func TestKVImageAllStopsEarly(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"})
	_, release := freeze(t, kv)
	apply(t, kv, set("a", "x")) // in both
	apply(t, kv, del("b"))      // deleted
	apply(t, kv, set("e", "5")) // overlay only
	apply(t, kv, set("f", "6")) // overlay only
	img, release2 := freeze(t, kv)
	defer release()
	defer release2()
	require.Equal(t, 5, img.Len())
	for stop := 1; stop <= img.Len(); stop++ {
		n := 0
		for range img.All {
			n++
			if n == stop {
				break
			}
		}
		require.Equal(t, stop, n)
	}
}

// TestKVFreezeEmpty checks images of an empty state and of a state emptied
// while shared.
func TestKVFreezeEmpty(t *testing.T) {
	kv := store.NewKV(0)
	img, release := freeze(t, kv)
	requireImage(t, map[string]string{}, img)
	apply(t, kv, set("a", "1"))
	requireImage(t, map[string]string{}, img)
	release()
	require.Equal(t, 1, foldAll(t, kv))
	require.Equal(t, map[string]string{"a": "1"}, kvState(kv))

	img, release = freeze(t, kv)
	apply(t, kv, del("a"))
	img2, release2 := freeze(t, kv)
	requireImage(t, map[string]string{"a": "1"}, img)
	requireImage(t, map[string]string{}, img2)
	release()
	release2()
	foldAll(t, kv)
	require.Empty(t, kvState(kv))
}

// TestKVReleaseAfterClear checks the generation counter: an image frozen
// before a Clear, released after a newer image shares the new map, must
// not let the owner write the map the newer image reads.
func TestKVReleaseAfterClear(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1"})
	old, releaseOld := freeze(t, kv)
	apply(t, kv, clr())
	apply(t, kv, set("b", "2"))
	cur, releaseCur := freeze(t, kv)
	releaseOld()
	releaseOld()
	require.Equal(t, 1, store.SharedImages(kv))
	apply(t, kv, set("b", "changed"))
	apply(t, kv, set("c", "3"))
	require.False(t, store.Fold(kv))
	requireImage(t, map[string]string{"a": "1"}, old)
	requireImage(t, map[string]string{"b": "2"}, cur)
	releaseCur()
	foldAll(t, kv)
	require.Equal(t, map[string]string{"b": "changed", "c": "3"}, kvState(kv))
}

// ---- concurrent readers ----

// imageReader reads img over and over in its own goroutine, until stop is
// closed, and checks every pass against want. It reports its first error
// (or nil) on the returned channel; started is closed after its first pass.
func imageReader(img store.KVImage, want map[string]string, stop <-chan struct{}) (started <-chan struct{}, done <-chan error) {
	st := make(chan struct{})
	dn := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(uint64(len(want)), 7))
		keys := make([]string, 0, len(want))
		for k := range want {
			keys = append(keys, k)
		}
		for pass := 0; ; pass++ {
			got, err := imageContents(img)
			if err == nil && !maps.Equal(want, got) {
				err = fmt.Errorf("pass %d: image has %d keys, want %d, or values differ", pass, len(got), len(want))
			}
			for i := 0; err == nil && i < 200 && len(keys) > 0; i++ {
				k := keys[rng.IntN(len(keys))]
				if v, ok := img.Get(k); !ok || string(v) != want[k] {
					err = fmt.Errorf("pass %d: Get %q = %q, %v; want %q", pass, k, v, ok, want[k])
				}
				if _, ok := img.Get(k + "-absent"); ok {
					err = fmt.Errorf("pass %d: Get of an absent key found it", pass)
				}
			}
			if pass == 0 {
				close(st)
			}
			if err != nil {
				dn <- err
				return
			}
			select {
			case <-stop:
				dn <- nil
				return
			default:
			}
		}
	}()
	return st, dn
}

// TestKVImageConcurrentReaders reads images in other goroutines while this
// goroutine, the owner, applies thousands of commands, freezes, releases,
// clears and folds. Under -race it checks that the owner never writes a map
// an open image reads; without it, that every image stays as frozen.
func TestKVImageConcurrentReaders(t *testing.T) {
	const keys, perPhase = 3000, 2000
	rng := rand.New(rand.NewPCG(42, 42))
	model := make(map[string]string)
	kv := store.NewKV(0)
	for i := range keys {
		k := fmt.Sprint("k", i)
		apply(t, kv, set(k, "init"))
		model[k] = "init"
	}
	step := 0
	mutate := func(n int) {
		for range n {
			step++
			k := fmt.Sprint("k", rng.IntN(keys+500))
			v := fmt.Sprint("v", step)
			switch rng.IntN(6) {
			case 0, 1:
				apply(t, kv, set(k, v))
				model[k] = v
			case 2:
				apply(t, kv, del(k))
				delete(model, k)
			case 3:
				cur, ok := model[k]
				r := apply(t, kv, cas(k, cur, v))
				require.Equal(t, ok, r.Found)
				if ok {
					model[k] = v
				}
			case 4:
				_, ok := model[k]
				r := apply(t, kv, setAbsent(k, v))
				require.Equal(t, !ok, r.Found)
				if !ok {
					model[k] = v
				}
			case 5:
				k2 := fmt.Sprint("k", rng.IntN(keys+500))
				apply(t, kv, bat(mset(k, v), mdel(k2)))
				model[k] = v
				delete(model, k2)
			}
			if step%97 == 0 {
				store.Fold(kv) // does nothing while an image shares the map
			}
		}
	}
	type reader struct {
		release func()
		stop    chan struct{}
		done    <-chan error
	}
	startReader := func() *reader {
		img, release := freeze(t, kv)
		stop := make(chan struct{})
		started, done := imageReader(img, maps.Clone(model), stop)
		recv(t, started, "a reader's first pass")
		return &reader{release: release, stop: stop, done: done}
	}
	stopReader := func(r *reader) {
		close(r.stop)
		require.NoError(t, recv(t, r.done, "a reader to stop"))
		r.release()
	}

	a := startReader()
	mutate(perPhase) // A shares the base map
	b := startReader()
	mutate(perPhase) // A and B share it; B has a copy of the overlay
	stopReader(a)
	mutate(perPhase) // B alone shares it
	for range 3 {
		require.False(t, store.Fold(kv))
	}
	apply(t, kv, clr()) // A new base map; B keeps the old one
	clear(model)
	mutate(perPhase) // the owner writes the new map directly
	c := startReader()
	mutate(perPhase) // C shares the new map, B the old
	stopReader(b)    // a stale release: C must still be counted
	mutate(perPhase)
	// An overlay of more than one fold step.
	ms := make([]store.Mutation, 2*store.FoldStep+100)
	for i := range ms {
		k := fmt.Sprint("bulk", i)
		ms[i] = mset(k, "b")
		model[k] = "b"
	}
	apply(t, kv, bat(ms...))
	stopReader(c)
	// Fold one step, then a last reader reads an image frozen in the
	// middle of folding while the owner writes and folds no further.
	require.True(t, store.Fold(kv))
	require.True(t, store.HasOverlay(kv))
	d := startReader()
	mutate(perPhase)
	stopReader(d)
	foldAll(t, kv)
	require.False(t, store.HasOverlay(kv))
	require.Equal(t, model, kvState(kv))
}

// ---- Restore ----

// TestKVRestoreRoundTrip restores a KV from an image that has both a base
// map and an overlay, and checks it holds the image and works on.
func TestKVRestoreRoundTrip(t *testing.T) {
	src := store.NewKV(0)
	want := make(map[string]string)
	for i := range 500 {
		k := fmt.Sprint("k", i)
		apply(t, src, set(k, fmt.Sprint(i)))
		want[k] = fmt.Sprint(i)
	}
	_, release := freeze(t, src)
	for i := range 500 {
		k := fmt.Sprint("k", i)
		switch i % 4 {
		case 0:
			apply(t, src, del(k))
			delete(want, k)
		case 1:
			apply(t, src, set(k, "new"))
			want[k] = "new"
		}
	}
	apply(t, src, set("", "empty key"))
	want[""] = "empty key"
	apply(t, src, set("\xff\xfe", ""))
	want["\xff\xfe"] = ""
	img, release2 := freeze(t, src)
	defer release()
	defer release2()
	requireImage(t, want, img)

	dst := kvWith(t, map[string]string{"old": "gone", "k1": "old"})
	require.NoError(t, dst.Restore(img.Len(), records(img)))
	require.Equal(t, want, kvState(dst))

	// The restored KV is a working machine, with images of its own.
	img3, release3 := freeze(t, dst)
	apply(t, dst, set("after", "1"))
	requireImage(t, want, img3)
	release3()
	foldAll(t, dst)
	want["after"] = "1"
	require.Equal(t, want, kvState(dst))
}

// TestKVRestoreCopiesKeys feeds Restore keys from one reused buffer, as a
// decoder that aliases its input may: the map must hold copies.
func TestKVRestoreCopiesKeys(t *testing.T) {
	buf := make([]byte, 2)
	recs := func(yield func(k, v []byte) bool) {
		for i := range 3 {
			buf[0], buf[1] = 'k', byte('0'+i)
			if !yield(buf, []byte{byte('a' + i)}) {
				return
			}
		}
	}
	kv := store.NewKV(0)
	require.NoError(t, kv.Restore(3, recs))
	buf[0], buf[1] = 'x', 'x'
	require.Equal(t, map[string]string{"k0": "a", "k1": "b", "k2": "c"}, kvState(kv))
}

// TestKVRestoreRejects checks that records that do not fit n are refused,
// and that a refused Restore changes nothing.
func TestKVRestoreRejects(t *testing.T) {
	tests := []struct {
		name string
		n    int
		recs func(yield func(k, v []byte) bool)
	}{
		{"n too large", 3, recordList("a", "1", "b", "2")},
		{"n too small", 1, recordList("a", "1", "b", "2")},
		{"n negative", -1, recordList()},
		{"records but n zero", 0, recordList("a", "1")},
		{"no records", 2, recordList()},
		{"duplicate key, n counts records", 3, recordList("a", "1", "b", "2", "a", "3")},
		{"duplicate key, n counts distinct keys", 2, recordList("a", "1", "b", "2", "a", "3")},
		{"same record twice", 1, recordList("a", "1", "a", "1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]string{"keep": "me"}
			kv := kvWith(t, before)
			err := kv.Restore(tt.n, tt.recs)
			require.Error(t, err)
			require.Equal(t, before, kvState(kv), "a refused Restore changes nothing")

			e := store.New[store.Command, store.Query, store.Result](store.NewKV(0), store.DecodeCommand, 0)
			err = e.Restore(7, tt.n, tt.recs)
			require.ErrorIs(t, err, store.ErrBadEntry)
			require.ErrorContains(t, err, "LSN 7")
			require.Zero(t, e.LastLSN(), "a refused Restore leaves the LSN")
		})
	}
	t.Run("empty", func(t *testing.T) {
		kv := kvWith(t, map[string]string{"a": "1"})
		require.NoError(t, kv.Restore(0, recordList()))
		require.Empty(t, kvState(kv))
	})
}

// TestKVRestoreWithOpenImages restores while images of the old state are
// open (and one from before a Clear): their releases must not count
// against images of the restored map.
func TestKVRestoreWithOpenImages(t *testing.T) {
	kv := kvWith(t, map[string]string{"a": "1"})
	older, releaseOlder := freeze(t, kv)
	apply(t, kv, clr())
	apply(t, kv, set("b", "2"))
	old, releaseOld := freeze(t, kv)
	require.NoError(t, kv.Restore(1, recordList("r", "1")))
	cur, releaseCur := freeze(t, kv)
	releaseOld()
	releaseOlder()
	require.Equal(t, 1, store.SharedImages(kv))
	apply(t, kv, set("r", "changed"))
	apply(t, kv, set("s", "new"))
	requireImage(t, map[string]string{"r": "1"}, cur)
	requireImage(t, map[string]string{"b": "2"}, old)
	requireImage(t, map[string]string{"a": "1"}, older)
	releaseCur()
	foldAll(t, kv)
	require.Equal(t, map[string]string{"r": "changed", "s": "new"}, kvState(kv))
}

// TestEngineRestore restores an engine before Start: its LSNs continue from
// the snapshot's, and a machine that cannot be snapshotted says so.
func TestEngineRestore(t *testing.T) {
	ctx := t.Context()
	e := newKVEngine(0)
	require.NoError(t, e.Restore(40, 2, recordList("a", "1", "b", "2")))
	require.Equal(t, uint64(40), e.LastLSN())
	require.NoError(t, e.Replay(batchEntry(41, set("c", "3"))))
	s := newAutoSink()
	e.Start(s, actor.Options{})
	_, err := update(ctx, e, del("a"), store.AckSynced)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"b": "2", "c": "3"}, engineState(t, e))
	require.NoError(t, e.Close())
	en := s.entries()
	require.Len(t, en, 1)
	require.Equal(t, uint64(42), en[0].LSN)

	plain := store.New[store.Command, store.Query, store.Result](plainMachine{}, store.DecodeCommand, 0)
	require.ErrorIs(t, plain.Restore(1, 0, recordList()), store.ErrNotSnapshottable)
}

// TestKVNestedImagesShareLayers freezes images one after another with
// changes in between: each freeze turns the changes waiting in the overlay
// into a layer the new image shares instead of copying them, every image
// keeps its own point in time, and once all are released everything folds
// back.
func TestKVNestedImagesShareLayers(t *testing.T) {
	kv := store.NewKV(0)
	model := map[string]string{}
	type open struct {
		img     store.Image
		release func()
		want    map[string]string
	}
	var imgs []open
	for round := range 5 {
		for i := range 500 {
			k := fmt.Sprint("k", (i*7+round*13)%800)
			if i%5 == round%5 {
				apply(t, kv, del(k))
				delete(model, k)
			} else {
				v := fmt.Sprint(round, "-", i)
				apply(t, kv, set(k, v))
				model[k] = v
			}
		}
		pending := store.OverlayLen(kv)
		layers := store.Layers(kv)
		img, release := freeze(t, kv)
		require.Equal(t, pending, store.OverlayLen(kv), "round %d: nothing copied", round)
		if round > 0 {
			require.Equal(t, layers+1, store.Layers(kv), "round %d: the overlay became a layer", round)
		}
		imgs = append(imgs, open{img, release, maps.Clone(model)})
		for j, o := range imgs {
			requireImage(t, o.want, o.img, "round %d, image %d", round, j)
		}
	}
	for j, o := range imgs {
		o.release()
		for _, later := range imgs[j+1:] {
			requireImage(t, later.want, later.img)
		}
	}
	for store.Fold(kv) {
	}
	require.False(t, store.HasOverlay(kv))
	require.Zero(t, store.Layers(kv))
	require.Equal(t, model, kvState(kv))
}
