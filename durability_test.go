package hurrah

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/testkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/store"
)

// workload applies n random operations on a small key set to db and to m,
// checking each result against m, and returns how many of them were
// journaled (sets, deletes of a present key, clears of a non-empty store).
func workload(t *testing.T, db *DB, m model, rng *rand.Rand, n int) (records uint64) {
	t.Helper()
	ctx := t.Context()
	for i := range n {
		key := "key-" + strconv.Itoa(rng.IntN(24))
		switch p := rng.IntN(100); {
		case p < 50:
			v := fmt.Sprintf("v%d-%s", i, strings.Repeat("x", rng.IntN(80)))
			require.NoError(t, Set(ctx, db, key, v))
			m[key] = modelValue{s: v}
			records++
		case p < 70:
			v := fmt.Sprintf("raw%d\x00\xff", i)
			require.NoError(t, db.SetBytes(ctx, key, []byte(v)))
			m[key] = modelValue{raw: true, s: v}
			records++
		case p < 95:
			existed, err := db.Delete(ctx, key)
			require.NoError(t, err)
			_, want := m[key]
			require.Equal(t, want, existed, "Delete %q", key)
			if existed {
				delete(m, key)
				records++
			}
		default:
			require.NoError(t, db.Clear(ctx))
			if len(m) > 0 {
				clear(m)
				records++
			}
		}
	}
	return records
}

// TestDurabilityReopen writes, overwrites, deletes and clears at every
// persistent level, closes, reopens, and compares with a model; then does it
// again on the reopened store.
func TestDurabilityReopen(t *testing.T) {
	for _, level := range []Durability{Buffered, Written, Synced} {
		for _, seg := range []int64{0, MinSegmentSize} {
			t.Run(fmt.Sprintf("%v/segment=%d", level, seg), func(t *testing.T) {
				ctx := t.Context()
				dir := newDir(t)
				opts := &Options{Durability: level, SegmentSize: seg}
				rng := rand.New(rand.NewPCG(uint64(level), uint64(seg)))
				m := model{}

				// Synced writes wait for an fsync each; fewer of them keep
				// the test quick on a busy disk.
				n := 150
				if level == Synced {
					n = 80
				}
				db := openT(t, dir, opts)
				records := workload(t, db, m, rng, n)
				require.NoError(t, Set(ctx, db, "before-clear", "x"))
				require.NoError(t, db.Clear(ctx)) // a Clear in the middle
				records += 2
				clear(m)
				records += workload(t, db, m, rng, n)
				requireContents(t, ctx, db, m)
				require.NoError(t, db.Close())

				db = openT(t, dir, opts)
				rec := db.Recovery()
				require.Equal(t, records, rec.Records)
				require.Equal(t, records, rec.LastLSN)
				require.Nil(t, rec.TornTail)
				require.Len(t, walFiles(t, dir), rec.Segments)
				switch {
				case seg == MinSegmentSize && level != Buffered:
					// Each acknowledged Set was its own write, so the
					// segments rotated. (Buffered writes may all go in
					// one write, which a segment may pass its size by.)
					require.Greater(t, rec.Segments, 1, "segments rotated")
				case seg == 0:
					require.Equal(t, 1, rec.Segments)
				}
				requireContents(t, ctx, db, m)

				records += workload(t, db, m, rng, n*2/3)
				require.NoError(t, db.Close())
				db = openT(t, dir, opts)
				require.Equal(t, records, db.Recovery().Records)
				requireContents(t, ctx, db, m)
			})
		}
	}
}

// writeFrames opens a store at level, Sets k0..k(n-1) one at a time and
// returns the size of the single segment after each Set: frame i spans
// [sizes[i-1], sizes[i]), with sizes[-1] the header.
func writeFrames(t *testing.T, dir string, level Durability, n int) (wal string, sizes []int64) {
	t.Helper()
	db := openT(t, dir, &Options{Durability: level, SyncInterval: time.Hour})
	wal = onlyWAL(t, dir)
	for i := range n {
		require.NoError(t, Set(t.Context(), db, "k"+strconv.Itoa(i), "value-"+strconv.Itoa(i)))
		sizes = append(sizes, fileSize(t, wal))
	}
	require.NoError(t, db.Close())
	require.Greater(t, fileSize(t, wal), sizes[n-1], "Close records its final fsync in a marker frame")
	return wal, sizes
}

func modelK(n int) model {
	m := model{}
	for i := range n {
		m["k"+strconv.Itoa(i)] = modelValue{s: "value-" + strconv.Itoa(i)}
	}
	return m
}

// TestTornTail cuts the end of the last frame and checks that Open cuts the
// torn frame off, keeps its bytes aside and reports it.
func TestTornTail(t *testing.T) {
	const n = 10
	frameLen := func(sizes []int64) int64 { return sizes[n-1] - sizes[n-2] }
	cases := []struct {
		name string
		cut  func(frame int64) int64 // bytes cut off the end of the file
	}{
		{"1 byte", func(int64) int64 { return 1 }},
		{"3 bytes", func(int64) int64 { return 3 }},
		{"half the frame", func(f int64) int64 { return f / 2 }},
		{"all but the first byte", func(f int64) int64 { return f - 1 }},
		{"all but the header", func(f int64) int64 { return f - 16 }},
		{"inside the header", func(f int64) int64 { return f - 7 }},
		{"the whole frame", func(f int64) int64 { return f }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			dir := newDir(t)
			wal, sizes := writeFrames(t, dir, Written, n)
			orig, err := os.ReadFile(wal)
			require.NoError(t, err)
			cut := c.cut(frameLen(sizes))
			end := sizes[n-1] - cut
			require.NoError(t, os.Truncate(wal, end))
			// A torn write comes with a crash, which leaves no
			// clean-close marker (journal/closed.go).
			markers, err := filepath.Glob(filepath.Join(dir, "CLOSED-*"))
			require.NoError(t, err)
			for _, m := range markers {
				require.NoError(t, os.Remove(m))
			}

			db := openT(t, dir, nil)
			rec := db.Recovery()
			x := sizes[n-2] // start of the last frame
			if end == x {
				require.Nil(t, rec.TornTail, "a whole frame gone leaves no torn tail")
			} else {
				require.NotNil(t, rec.TornTail)
				saved := wal + "." + strconv.FormatInt(x, 10) + ".torn"
				require.Equal(t, TornTail{File: wal, Offset: x, Bytes: end - x, SavedAs: saved}, *rec.TornTail)
				kept, err := os.ReadFile(saved)
				require.NoError(t, err, "the cut bytes are kept")
				require.Equal(t, orig[x:end], kept)
			}
			require.Equal(t, uint64(n-1), rec.Records)
			require.Equal(t, x, fileSize(t, wal), "the segment is cut at the torn frame")
			requireContents(t, ctx, db, modelK(n-1))

			// The store goes on cleanly from the cut.
			require.NoError(t, Set(ctx, db, "after", "x"))
			require.NoError(t, db.Close())
			db = openT(t, dir, nil)
			require.Nil(t, db.Recovery().TornTail)
			require.Equal(t, uint64(n), db.Recovery().Records)
			m := modelK(n - 1)
			m["after"] = modelValue{s: "x"}
			requireContents(t, ctx, db, m)
		})
	}
}

// TestBitFlipSynced flips one bit in a middle record of a store written at
// the Synced level: that record had been fsynced, so no crash explains the
// damage, and Open must refuse the directory and leave it as it was.
func TestBitFlipSynced(t *testing.T) {
	const n = 10
	for _, where := range []struct {
		name string
		off  int64 // offset within frame 5
	}{{"frame header", 2}, {"payload", 20}, {"last byte", -1}} {
		t.Run(where.name, func(t *testing.T) {
			dir := newDir(t)
			wal, sizes := writeFrames(t, dir, Synced, n)
			start := sizes[4] // frame 5 holds k5
			off := start + where.off
			if where.off < 0 {
				off = sizes[5] - 1
			}
			b, err := os.ReadFile(wal)
			require.NoError(t, err)
			b[off] ^= 0x10
			require.NoError(t, os.WriteFile(wal, b, 0o644))
			before := snapshotDir(t, dir)

			for range 2 { // and again: the failed Open released the lock
				db, err := Open(dir, nil)
				require.Nil(t, db)
				require.ErrorIs(t, err, ErrCorrupt)
				var ce *CorruptError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, wal, ce.File)
				require.Equal(t, start, ce.Offset)
				require.NotEmpty(t, ce.Reason)
				require.Contains(t, err.Error(), wal)
				requireSameDir(t, before, dir)
			}
		})
	}
}

// TestBitFlipAfterClose flips a bit in a record written at the Written
// level, none of whose frames recorded an fsync (the interval is an hour):
// the marker a clean Close writes records the final fsync, so the damage is
// known to be in durable data and Open refuses the directory rather than
// cutting every later record as a torn tail. A flip in the last data record,
// which only the marker covers, is refused too.
func TestBitFlipAfterClose(t *testing.T) {
	const n = 10
	for _, frame := range []int{4, n - 1} {
		t.Run(fmt.Sprintf("frame %d of %d", frame+1, n), func(t *testing.T) {
			dir := newDir(t)
			wal, sizes := writeFrames(t, dir, Written, n)
			start := sizes[frame-1] // where the frame holding k<frame> begins
			b, err := os.ReadFile(wal)
			require.NoError(t, err)
			b[start+20] ^= 0x10
			require.NoError(t, os.WriteFile(wal, b, 0o644))
			before := snapshotDir(t, dir)

			db, err := Open(dir, nil)
			require.Nil(t, db)
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, wal, ce.File)
			require.Equal(t, start, ce.Offset)
			requireSameDir(t, before, dir)
		})
	}
}

// TestIOFailure makes the journal's writes or fsyncs fail after some writes
// went through: the store must turn read-only (sticky), keep serving reads,
// close, and reopen with every acknowledged write.
func TestIOFailure(t *testing.T) {
	eio := fmt.Errorf("injected: %w", syscall.EIO)
	short := fmt.Errorf("injected: %w: %w", io.ErrShortWrite, syscall.EIO)
	cases := []struct {
		name  string
		level Durability
		op    vfs.Op
		err   error // injected
		seg   int64 // SegmentSize
		// failingSet says whether a Set after the fault returns the error
		// itself (Sets are tried until one fails); otherwise the first
		// Set is acknowledged and the next Sync reports the failure.
		failingSet bool
		// torn says whether the failure leaves a torn tail to cut.
		torn bool
	}{
		{"write", Written, vfs.OpWrite, eio, 0, true, false},
		{"short write", Written, vfs.OpWrite, short, 0, true, true},
		{"sync", Synced, vfs.OpSync, eio, 0, true, false},
		{"write", Synced, vfs.OpWrite, eio, 0, true, false},
		{"sync", Written, vfs.OpSync, eio, 0, false, false},
		{"write", Buffered, vfs.OpWrite, eio, 0, false, false},
		{"rotation create", Written, vfs.OpCreate, eio, MinSegmentSize, true, false},
		{"rotation sync", Written, vfs.OpSync, eio, MinSegmentSize, true, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%s", c.level, c.name), func(t *testing.T) {
			ctx := t.Context()
			dir := newDir(t)
			var armed atomic.Bool
			fsys := faultyFS(c.op, isWAL, c.err, armed.Load)
			db, err := Open(dir, &Options{Durability: c.level, SyncInterval: time.Hour, SegmentSize: c.seg, fs: fsys})
			require.NoError(t, err)
			t.Cleanup(func() { db.Close() })

			m := model{}
			for i := range 20 {
				k := "k" + strconv.Itoa(i)
				require.NoError(t, Set(ctx, db, k, "v"+k))
				m[k] = modelValue{s: "v" + k}
			}
			_, err = db.Delete(ctx, "k0")
			require.NoError(t, err)
			delete(m, "k0")
			require.NoError(t, db.Sync(ctx)) // all of it on disk before the fault
			armed.Store(true)

			var failed string // the key whose write failed, or was in flight
			if c.failingSet {
				for i := range 1000 {
					failed = "f" + strconv.Itoa(i)
					if err = Set(ctx, db, failed, "v"+failed); err != nil {
						break
					}
					m[failed] = modelValue{s: "v" + failed} // acknowledged
				}
				require.ErrorIs(t, err, ErrReadOnly)
			} else {
				failed = "f0"
				require.NoError(t, Set(ctx, db, failed, "v"+failed))
				err = db.Sync(ctx)
				require.ErrorIs(t, err, ErrReadOnly, "Sync after the fault")
			}
			require.ErrorIs(t, err, syscall.EIO, "the cause is wrapped")

			// Sticky: every later write is refused, even one that would
			// change nothing.
			for name, call := range map[string]func() error{
				"Set":            func() error { return Set(ctx, db, "k1", "new") },
				"SetBytes":       func() error { return db.SetBytes(ctx, "new", []byte("x")) },
				"Delete":         func() error { _, err := db.Delete(ctx, "k2"); return err },
				"Delete missing": func() error { _, err := db.Delete(ctx, "missing"); return err },
				"Clear":          func() error { return db.Clear(ctx) },
				"Sync":           func() error { return db.Sync(ctx) },
			} {
				require.ErrorIs(t, call(), ErrReadOnly, name)
			}
			armed.Store(false) // the fault heals: the store must stay read-only
			require.ErrorIs(t, Set(ctx, db, "k1", "new"), ErrReadOnly, "after the fault healed")

			// Reads keep working and show the acknowledged data (and maybe
			// the write that failed, which was applied in memory).
			for k, v := range m {
				s, err := Get[string](ctx, db, k)
				require.NoError(t, err)
				require.Equal(t, v.s, s)
			}
			n, err := db.Len(ctx)
			require.NoError(t, err)
			require.Contains(t, []int{len(m), len(m) + 1}, n)
			ok, err := db.Has(ctx, "k0")
			require.NoError(t, err)
			require.False(t, ok)
			_, err = db.Keys(ctx)
			require.NoError(t, err)

			closeErr := db.Close()
			require.ErrorIs(t, closeErr, ErrReadOnly, "Close reports the failure")
			require.Equal(t, closeErr, db.Close())

			db = openT(t, dir, nil)
			if c.torn {
				require.NotNil(t, db.Recovery().TornTail, "the half-written frame is cut")
			} else {
				require.Nil(t, db.Recovery().TornTail)
			}
			// The write that failed may or may not have reached the disk
			// (a failed fsync follows a write that went through); every
			// acknowledged one must have.
			if ok, _ := db.Has(ctx, failed); ok {
				m[failed] = modelValue{s: "v" + failed}
			}
			requireContents(t, ctx, db, m)
		})
	}
}

// copyStore copies the files of a store's directory, all but its LOCK, to a
// new directory, as a crash would leave them (the page cache survives a
// process crash), and returns it.
func copyStore(t *testing.T, dir string) string {
	t.Helper()
	dst := newDir(t)
	require.NoError(t, os.Mkdir(dst, 0o755))
	for name, b := range snapshotDir(t, dir) {
		if name == "LOCK" || strings.HasSuffix(name, "/") {
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(dst, name), b, 0o644))
	}
	return dst
}

// TestCopyWithoutClose reads a copy of a store's files taken while it is
// still open, without Close: at the Written and Synced levels every write
// acknowledged so far is in it; at the Buffered level every write
// acknowledged before a Sync.
func TestCopyWithoutClose(t *testing.T) {
	for _, level := range []Durability{Buffered, Written, Synced} {
		t.Run(level.String(), func(t *testing.T) {
			ctx := t.Context()
			dir := newDir(t)
			db := openT(t, dir, &Options{Durability: level, SyncInterval: time.Hour, SegmentSize: MinSegmentSize})
			rng := rand.New(rand.NewPCG(7, uint64(level)))
			m := model{}
			workload(t, db, m, rng, 200)
			if level == Buffered {
				require.NoError(t, db.Sync(ctx))
			}
			cp := copyStore(t, dir)
			db2 := openT(t, cp, nil)
			require.Nil(t, db2.Recovery().TornTail)
			requireContents(t, ctx, db2, m)
		})
	}
}

// TestLargeValues stores values bigger than the journal's frame split size
// and reads them back after a reopen.
func TestLargeValues(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	big := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i*7)
		}
		return b
	}
	vals := map[string][]byte{"5MiB": big(5<<20, 1), "small": big(10, 3)}
	db := openT(t, dir, nil)
	for k, v := range vals {
		require.NoError(t, db.SetBytes(ctx, k, v))
	}
	require.NoError(t, Set(ctx, db, "typed", string(big(6<<20, 4))))
	require.NoError(t, db.Close())

	db = openT(t, dir, nil)
	for k, v := range vals {
		got, err := db.GetBytes(ctx, k)
		require.NoError(t, err)
		require.True(t, bytes.Equal(v, got), "value of %s", k)
	}
	s, err := Get[string](ctx, db, "typed")
	require.NoError(t, err)
	require.Equal(t, 6<<20, len(s))
}

// TestCorruptEntry writes a segment whose frames verify but whose entry is
// not a valid command: no torn write explains that, so Open must refuse with
// ErrCorrupt, a *CorruptError naming the file and offset, and change nothing.
func TestCorruptEntry(t *testing.T) {
	good, err := store.EncodeCommand(store.Command{Op: store.OpSet, Key: "k", Value: []byte{0x61}})
	require.NoError(t, err)
	badOp, err := store.EncodeCommand(store.Command{Op: 99, Key: "k"})
	require.NoError(t, err)
	badBatch, err := store.EncodeCommand(store.Command{Op: store.OpBatch,
		Batch: []store.Mutation{{Op: store.OpClear}}})
	require.NoError(t, err)
	for _, c := range []struct {
		name  string
		entry []byte
	}{
		{"not CBOR", []byte{0xff, 0x00}},
		{"unknown op", badOp},
		{"batch with a clear", badBatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := newDir(t)
			require.NoError(t, os.Mkdir(dir, 0o755))
			seg := testkit.AppendSegmentHeader(nil, 1)
			seg = testkit.AppendFrame(seg, 1, testkit.SegmentHeaderSize, [][]byte{good})
			badAt := int64(len(seg))
			seg = testkit.AppendFrame(seg, 2, testkit.SegmentHeaderSize, [][]byte{c.entry})
			seg = testkit.AppendFrame(seg, 3, testkit.SegmentHeaderSize, [][]byte{good})
			wal := filepath.Join(dir, fmt.Sprintf("%020d.wal", 1))
			require.NoError(t, os.WriteFile(wal, seg, 0o644))
			// As in any directory hurrah wrote (Open creates it first).
			require.NoError(t, os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o644))
			before := snapshotDir(t, dir)

			db, err := Open(dir, nil)
			require.Nil(t, db)
			require.ErrorIs(t, err, ErrCorrupt)
			requireSameDir(t, before, dir)
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, store.ErrBadEntry, "the replay failure is wrapped too")
			require.Equal(t, wal, ce.File)
			require.Equal(t, badAt, ce.Offset)
		})
	}
}

// TestWrittenDoesNotWaitForFsync: at the Written level a write is
// acknowledged once handed to the OS; it should not wait for an fsync that
// happens to be running (the ticker's, or a Sync call's).
func TestWrittenDoesNotWaitForFsync(t *testing.T) {
	ctx := t.Context()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var block atomic.Bool
	fsys := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
		if op == vfs.OpSync && isWAL(name) && block.Load() {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
		}
		return nil
	}}
	db := openT(t, newDir(t), &Options{Durability: Written, SyncInterval: time.Hour, fs: fsys})
	require.NoError(t, Set(ctx, db, "k0", "v"))

	block.Store(true)
	syncDone := make(chan error, 1)
	go func() { syncDone <- db.Sync(ctx) }()
	select {
	case <-entered:
	case <-time.After(bound):
		t.Fatal("Sync never reached fsync")
	}
	setDone := make(chan error, 1)
	go func() { setDone <- Set(ctx, db, "k1", "v") }()
	// The fsync stays blocked until the Set has returned: it needs only
	// its write(2), which the journal does while the fsync runs. (The bound
	// only keeps a failing run from hanging.)
	select {
	case err := <-setDone:
		require.NoError(t, err)
	case <-time.After(bound):
		close(release)
		t.Fatal("a Written-level Set waited for an fsync in progress")
	}
	select {
	case <-syncDone:
		t.Fatal("Sync returned while its fsync was still blocked")
	default:
	}
	block.Store(false)
	close(release)
	require.NoError(t, <-syncDone)
}
