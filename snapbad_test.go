package hurrah

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Bad snapshot input, at the store level: damaged, newer, misplaced and
// forged snapshot files, stray temp files, misuse of Snapshot and
// PruneSnapshots, and snapshots that fail while the store runs.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapPath returns the path of the snapshot at lsn in dir.
func snapPath(dir string, lsn uint64) string {
	return filepath.Join(dir, fmt.Sprintf("snap-%020d.hsnap", lsn))
}

// forgeSnapshot returns a snapshot file of format version 1 at lsn holding
// recs (key, value pairs) in order, with every checksum right.
func forgeSnapshot(lsn uint64, recs [][2]string) []byte {
	le := binary.LittleEndian
	b := []byte("HURSNAP\x00")
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, lsn)
	b = le.AppendUint64(b, uint64(len(recs)))
	b = le.AppendUint32(b, crc32.Checksum(b[:32], castagnoli))
	b = le.AppendUint32(b, 0)
	body := len(b)
	for _, r := range recs {
		for _, s := range r {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	tr := len(b)
	b = le.AppendUint64(b, uint64(tr-body))
	b = le.AppendUint32(b, crc32.Checksum(b[body:tr], castagnoli))
	return le.AppendUint32(b, crc32.Checksum(b[tr:tr+12], castagnoli))
}

// setSnapshotVersion sets the version of the snapshot image b to v and
// makes its header checksum right again.
func setSnapshotVersion(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b[8:12], v)
	binary.LittleEndian.PutUint32(b[32:36], crc32.Checksum(b[:32], castagnoli))
}

// snapWorkload writes keys first..last-1 to db (values long enough to fill
// several 4 KiB segments) and records them in m.
func snapWorkload(t testing.TB, db *DB, m model, first, last int) {
	t.Helper()
	for i := first; i < last; i++ {
		k, v := fmt.Sprintf("k%04d", i%70), fmt.Sprintf("v%d-%s", i, strings.Repeat("x", 90))
		require.NoError(t, db.SetBytes(context.Background(), k, []byte(v)))
		m[k] = modelValue{raw: true, s: v}
	}
}

// snapOpts are the options of the stores these tests build: small
// segments, no automatic snapshots, and two snapshots kept.
func snapOpts() *Options {
	return &Options{SegmentSize: MinSegmentSize, SnapshotThreshold: -1, KeepSnapshots: 2}
}

// snapshotDamages are ways to damage a snapshot file that its checks catch.
var snapshotDamages = []struct {
	name   string
	damage func([]byte) []byte
}{
	{"a bit flipped in the header", func(b []byte) []byte { b[20] ^= 0x10; return b }},
	{"a bit flipped in the body", func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
	{"a bit flipped in the trailer", func(b []byte) []byte { b[len(b)-6] ^= 0x80; return b }},
	{"the trailer cut off", func(b []byte) []byte { return b[:len(b)-16] }},
	{"cut in the body", func(b []byte) []byte { return b[:len(b)/2] }},
	{"cut in the header", func(b []byte) []byte { return b[:20] }},
	{"empty", func(b []byte) []byte { return b[:0] }},
}

// requireCorruptFile fails unless err is ErrCorrupt and, through errors.As,
// a *CorruptError naming file.
func requireCorruptFile(t testing.TB, err error, file string) {
	t.Helper()
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptError
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, file, ce.File, "the file named: %v", err)
}

// TestSnapshotCorruptNewestSkipped damages the newest snapshot in a
// directory whose journal still reaches back to the snapshot before it (or
// to the start, when there is none): Open restores that one, or replays
// the whole journal, names the damaged file in SkippedSnapshots, leaves it
// in place, and the store holds every write.
func TestSnapshotCorruptNewestSkipped(t *testing.T) {
	for _, older := range []bool{true, false} {
		for i, d := range snapshotDamages {
			if !older && i%3 != 0 && !harnessLong() {
				continue // the short version tries a few without an older snapshot
			}
			t.Run(fmt.Sprintf("older snapshot %v/%s", older, d.name), func(t *testing.T) {
				ctx := t.Context()
				dir := newDir(t)
				m := model{}
				db := openT(t, dir, snapOpts())
				snapWorkload(t, db, m, 0, 40)
				var olderLSN uint64
				if older {
					require.NoError(t, db.Snapshot(ctx))
					olderLSN = db.Stats().LastSnapshotLSN
				}
				snapWorkload(t, db, m, 40, 120)
				require.NoError(t, db.Close())

				// The newer snapshot, taken in a copy so that the journal
				// here keeps the segments it would remove.
				copyDir := newDir(t)
				copyStoreDir(t, dir, copyDir)
				cdb := openT(t, copyDir, snapOpts())
				require.NoError(t, cdb.Snapshot(ctx))
				newer := cdb.Stats().LastSnapshotLSN
				require.NoError(t, cdb.Close())
				require.Greater(t, newer, olderLSN)
				img, err := os.ReadFile(snapPath(copyDir, newer))
				require.NoError(t, err)
				damaged := d.damage(img)
				bad := snapPath(dir, newer)
				require.NoError(t, os.WriteFile(bad, damaged, 0o644))

				db = openT(t, dir, snapOpts())
				rec := db.Recovery()
				require.Len(t, rec.SkippedSnapshots, 1, "%+v", rec)
				requireCorruptFile(t, rec.SkippedSnapshots[0], bad)
				require.Equal(t, olderLSN, rec.SnapshotLSN)
				if older {
					require.Equal(t, snapPath(dir, olderLSN), rec.Snapshot)
				} else {
					require.Empty(t, rec.Snapshot)
				}
				require.Equal(t, newer, rec.LastLSN)
				requireContents(t, ctx, db, m)
				b, err := os.ReadFile(bad)
				require.NoError(t, err, "the damaged snapshot is left in place")
				require.Equal(t, damaged, b)

				// A snapshot at the same LSN replaces the damaged file.
				require.NoError(t, db.Snapshot(ctx))
				require.Equal(t, newer, db.Stats().LastSnapshotLSN)
				require.NoError(t, db.Close())
				db = openT(t, dir, snapOpts())
				require.Equal(t, newer, db.Recovery().SnapshotLSN)
				require.Empty(t, db.Recovery().SkippedSnapshots)
				requireContents(t, ctx, db, m)

				// And the store goes on.
				snapWorkload(t, db, m, 120, 130)
				require.NoError(t, db.Snapshot(ctx))
				last := db.Stats().LastSnapshotLSN
				require.NoError(t, db.Close())
				db = openT(t, dir, snapOpts())
				require.Equal(t, last, db.Recovery().SnapshotLSN)
				require.Empty(t, db.Recovery().SkippedSnapshots)
				requireContents(t, ctx, db, m)
			})
		}
	}
}

// TestSnapshotCorruptGap damages the newest snapshot when the journal no
// longer reaches back to the older one (the segments they cover are gone):
// Open refuses with ErrCorrupt naming the damaged snapshot, and changes
// nothing on disk.
func TestSnapshotCorruptGap(t *testing.T) {
	for _, d := range snapshotDamages {
		t.Run(d.name, func(t *testing.T) {
			ctx := t.Context()
			dir := newDir(t)
			m := model{}
			db := openT(t, dir, snapOpts())
			snapWorkload(t, db, m, 0, 40)
			require.NoError(t, db.Snapshot(ctx))
			snapWorkload(t, db, m, 40, 120)
			require.NoError(t, db.Snapshot(ctx))
			newer := db.Stats().LastSnapshotLSN
			snapWorkload(t, db, m, 120, 125)
			require.NoError(t, db.Close())
			require.Len(t, snapFiles(t, dir), 2)

			bad := snapPath(dir, newer)
			img, err := os.ReadFile(bad)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(bad, d.damage(img), 0o644))
			before := snapshotDir(t, dir)

			db, err = Open(dir, snapOpts())
			require.Nil(t, db)
			requireCorruptFile(t, err, bad)
			require.Contains(t, err.Error(), "gap", "the error says why the damage cannot be passed over")
			requireSameDir(t, before, dir)
		})
	}
}

// TestSnapshotNewerVersion forges a snapshot of format version 3 (its
// header checksum right): Open refuses it with ErrVersion, not ErrCorrupt,
// and changes nothing on disk (not even the stray temp file beside it,
// which a successful Open would remove).
func TestSnapshotNewerVersion(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, snapOpts())
	snapWorkload(t, db, model{}, 0, 20)
	require.NoError(t, db.Snapshot(ctx))
	lsn := db.Stats().LastSnapshotLSN
	require.NoError(t, db.Close())

	path := snapPath(dir, lsn)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, uint32(1), binary.LittleEndian.Uint32(b[8:12]))
	setSnapshotVersion(b, 3)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	require.NoError(t, os.WriteFile(path+".tmp", []byte("remains"), 0o644))
	before := snapshotDir(t, dir)

	db, err = Open(dir, snapOpts())
	require.Nil(t, db)
	require.ErrorIs(t, err, ErrVersion)
	require.NotErrorIs(t, err, ErrCorrupt)
	require.Contains(t, err.Error(), path)
	requireSameDir(t, before, dir)
}

// TestSnapshotBeyondJournal copies a snapshot from a longer history into a
// directory whose journal ends before its LSN: Open refuses with
// ErrCorrupt and changes nothing on disk.
func TestSnapshotBeyondJournal(t *testing.T) {
	ctx := t.Context()
	long := newDir(t)
	db := openT(t, long, snapOpts())
	snapWorkload(t, db, model{}, 0, 100)
	require.NoError(t, db.Snapshot(ctx))
	lsn := db.Stats().LastSnapshotLSN
	require.NoError(t, db.Close())

	for _, short := range []int{1, 50, 99} {
		t.Run(fmt.Sprintf("journal of %d", short), func(t *testing.T) {
			dir := newDir(t)
			db := openT(t, dir, snapOpts())
			snapWorkload(t, db, model{}, 0, short)
			require.NoError(t, db.Close())
			b, err := os.ReadFile(snapPath(long, lsn))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(snapPath(dir, lsn), b, 0o644))
			before := snapshotDir(t, dir)

			db, err = Open(dir, snapOpts())
			require.Nil(t, db)
			require.ErrorIs(t, err, ErrCorrupt)
			var ce *CorruptError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Contains(t, err.Error(), "gap")
			requireSameDir(t, before, dir)
		})
	}
}

// TestSnapshotTempsRemovedAtOpen leaves snapshot temp files in a directory,
// as a crash in the middle of a snapshot would: Open removes them, and only
// them, and the store is as it was.
func TestSnapshotTempsRemovedAtOpen(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	m := model{}
	db := openT(t, dir, snapOpts())
	snapWorkload(t, db, m, 0, 40)
	require.NoError(t, db.Snapshot(ctx))
	lsn := db.Stats().LastSnapshotLSN
	snapWorkload(t, db, m, 40, 60)
	require.NoError(t, db.Close())

	temps := []string{
		snapPath(dir, lsn+5) + ".tmp", // a snapshot that never finished
		snapPath(dir, lsn) + ".tmp",   // one at the LSN of a snapshot there
		snapPath(dir, 1<<40) + ".tmp", // beyond the journal
	}
	others := []string{
		filepath.Join(dir, "snap-1.hsnap.tmp"), // not a snapshot's name
		filepath.Join(dir, "notes.tmp"),
		snapPath(dir, lsn+5) + ".tmp.old",
	}
	for i, p := range append(temps, others...) {
		require.NoError(t, os.WriteFile(p, forgeSnapshot(uint64(i), nil)[:10+i], 0o644))
	}
	db = openT(t, dir, snapOpts())
	require.Equal(t, lsn, db.Recovery().SnapshotLSN)
	require.Empty(t, db.Recovery().SkippedSnapshots)
	requireContents(t, ctx, db, m)
	for _, p := range temps {
		_, err := os.Stat(p)
		require.ErrorIs(t, err, fs.ErrNotExist, "%s is left", p)
	}
	for _, p := range others {
		_, err := os.Stat(p)
		require.NoError(t, err, "%s, not a snapshot's temp file, was removed", p)
	}
	require.NoError(t, db.Close())
}

// TestSnapshotRecordsDoNotFit forges a snapshot whose checksums are right
// but whose records do not fit a key-value state (a key twice): Open
// refuses with ErrCorrupt naming it, although the journal could replace
// it (a file that passed its checksums and is wrong is not a torn write),
// and changes nothing on disk. A forged snapshot that fits is restored, as
// the control.
func TestSnapshotRecordsDoNotFit(t *testing.T) {
	ctx := t.Context()
	setup := func(t *testing.T, recs [][2]string) (dir, path string) {
		dir = newDir(t)
		db := openT(t, dir, snapOpts())
		snapWorkload(t, db, model{}, 0, 3) // LSNs 1 to 3
		require.NoError(t, db.Close())
		path = snapPath(dir, 3)
		require.NoError(t, os.WriteFile(path, forgeSnapshot(3, recs), 0o644))
		return dir, path
	}
	t.Run("a key twice", func(t *testing.T) {
		dir, path := setup(t, [][2]string{{"k0000", "a"}, {"k0001", "b"}, {"k0000", "c"}})
		before := snapshotDir(t, dir)
		db, err := Open(dir, snapOpts())
		require.Nil(t, db)
		requireCorruptFile(t, err, path)
		requireSameDir(t, before, dir)
	})
	t.Run("an empty key", func(t *testing.T) {
		// No call stores one, and none could read or delete it.
		dir, path := setup(t, [][2]string{{"k0000", "a"}, {"", "b"}, {"k0002", "c"}})
		before := snapshotDir(t, dir)
		db, err := Open(dir, snapOpts())
		require.Nil(t, db)
		requireCorruptFile(t, err, path)
		requireSameDir(t, before, dir)
	})
	t.Run("control", func(t *testing.T) {
		dir, path := setup(t, [][2]string{{"k0000", "a"}, {"k0005", "b"}, {"k0002", ""}})
		db := openT(t, dir, snapOpts())
		require.Equal(t, path, db.Recovery().Snapshot)
		require.Equal(t, 3, db.Recovery().SnapshotKeys)
		require.EqualValues(t, 0, db.Recovery().Records, "the journal's records up to the snapshot are not replayed")
		keys, err := db.Keys(ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{"k0000", "k0005", "k0002"}, keys)
		b, err := db.GetBytes(ctx, "k0000")
		require.NoError(t, err)
		require.Equal(t, "a", string(b))
	})
}

// TestSnapshotMemoryOnly: on a store without a directory Snapshot does
// nothing and succeeds, PruneSnapshots removes nothing, and Stats counts
// no snapshot and nothing journaled.
func TestSnapshotMemoryOnly(t *testing.T) {
	ctx := t.Context()
	db := openT(t, "", nil)
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
	require.NoError(t, db.Snapshot(ctx))
	removed, err := db.PruneSnapshots(ctx, 1)
	require.NoError(t, err)
	require.Empty(t, removed)
	st := db.Stats() // no snapshot, and nothing journaled
	require.Zero(t, st.Snapshots+st.SnapshotsFailed+st.LastSnapshotLSN+st.AppliedLSN+st.Fsyncs)
	require.Zero(t, st.LastSnapshotSize+st.JournalBytes)
	requireContents(t, ctx, db, model{"k": {raw: true, s: "v"}})
}

// TestSnapshotEmptyStore: on a store that has never been written Snapshot
// succeeds and writes no file (the empty journal holds that state), and the
// store goes on.
func TestSnapshotEmptyStore(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	db := openT(t, dir, snapOpts())
	before := snapshotDir(t, dir)
	require.NoError(t, db.Snapshot(ctx))
	require.NoError(t, db.Snapshot(ctx))
	requireSameDir(t, before, dir)
	require.Zero(t, db.Stats().SnapshotsFailed)
	require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
	require.NoError(t, db.Snapshot(ctx))
	require.NoError(t, db.Close())
	require.Equal(t, []string{filepath.Base(snapPath(dir, 1))}, snapFiles(t, dir))
	db = openT(t, dir, snapOpts())
	require.Equal(t, snapPath(dir, 1), db.Recovery().Snapshot)
	requireContents(t, ctx, db, model{"k": {raw: true, s: "v"}})
}

// TestSnapshotAfterClose: Snapshot and PruneSnapshots after Close return
// ErrClosed, with or without a directory, even with a keep that is
// invalid, and change nothing on disk.
func TestSnapshotAfterClose(t *testing.T) {
	ctx := t.Context()
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprintf("persistent %v", persistent), func(t *testing.T) {
			dir := ""
			if persistent {
				dir = newDir(t)
			}
			db := openT(t, dir, snapOpts())
			require.NoError(t, db.SetBytes(ctx, "k", []byte("v")))
			require.NoError(t, db.Snapshot(ctx))
			require.NoError(t, db.Close())
			var before map[string][]byte
			if persistent {
				before = snapshotDir(t, dir)
			}
			require.ErrorIs(t, db.Snapshot(ctx), ErrClosed)
			for _, keep := range []int{1, 0} {
				removed, err := db.PruneSnapshots(ctx, keep)
				require.ErrorIs(t, err, ErrClosed, "keep %d", keep)
				require.Empty(t, removed)
			}
			if persistent {
				requireSameDir(t, before, dir)
			}
		})
	}
}

// TestPruneSnapshots: PruneSnapshots with keep below 1 returns
// ErrInvalidOptions and removes nothing; with keep 1 it removes all but
// the newest snapshot and says which.
func TestPruneSnapshots(t *testing.T) {
	ctx := t.Context()
	dir := newDir(t)
	m := model{}
	db := openT(t, dir, &Options{SegmentSize: MinSegmentSize, SnapshotThreshold: -1, KeepSnapshots: 3})
	var lsns []uint64
	for i := range 3 {
		snapWorkload(t, db, m, i*10, i*10+10)
		require.NoError(t, db.Snapshot(ctx))
		lsns = append(lsns, db.Stats().LastSnapshotLSN)
	}
	require.Len(t, snapFiles(t, dir), 3)
	before := snapshotDir(t, dir)
	for _, keep := range []int{0, -1, -1 << 40} {
		removed, err := db.PruneSnapshots(ctx, keep)
		require.ErrorIs(t, err, ErrInvalidOptions, "keep %d", keep)
		require.Empty(t, removed)
		requireSameDir(t, before, dir)
	}
	removed, err := db.PruneSnapshots(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []string{snapPath(dir, lsns[0]), snapPath(dir, lsns[1])}, removed)
	require.Equal(t, []string{filepath.Base(snapPath(dir, lsns[2]))}, snapFiles(t, dir))
	removed, err = db.PruneSnapshots(ctx, 1)
	require.NoError(t, err)
	require.Empty(t, removed)
	require.NoError(t, db.Close())
	db = openT(t, dir, nil)
	require.Equal(t, lsns[2], db.Recovery().SnapshotLSN)
	requireContents(t, ctx, db, m)

	mem := openT(t, "", nil)
	_, err = mem.PruneSnapshots(ctx, 0)
	require.ErrorIs(t, err, ErrInvalidOptions, "memory-only")
}

// TestKeepSnapshotsInvalid: Open refuses a KeepSnapshots out of range with
// ErrInvalidOptions and creates nothing.
func TestKeepSnapshotsInvalid(t *testing.T) {
	for _, keep := range []int{-1, -1 << 40, MaxKeepSnapshots + 1} {
		for _, persistent := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d/persistent %v", keep, persistent), func(t *testing.T) {
				parent := t.TempDir()
				dir := filepath.Join(parent, "db")
				arg := dir
				if !persistent {
					arg = ""
				}
				db, err := Open(arg, &Options{KeepSnapshots: keep})
				require.ErrorIs(t, err, ErrInvalidOptions)
				require.Contains(t, err.Error(), "KeepSnapshots")
				require.Nil(t, db)
				ents, err := os.ReadDir(parent)
				require.NoError(t, err)
				require.Empty(t, ents, "Open created something")
			})
		}
	}
	for _, keep := range []int{1, MaxKeepSnapshots} {
		db := openT(t, newDir(t), &Options{KeepSnapshots: keep})
		require.NoError(t, db.Snapshot(t.Context()))
		require.NoError(t, db.Close())
	}
}

// oneFault is a file system over the OS that fails one operation with
// vfs.EIO once it is armed: the first that match says to fail.
type oneFault struct {
	mu     sync.Mutex
	armed  bool
	fired  string // the operation failed, as "op name"
	match  func(op vfs.Op, name string) bool
	faulty vfs.Faulty
}

func newOneFault(match func(op vfs.Op, name string) bool) *oneFault {
	f := &oneFault{match: match}
	f.faulty = vfs.Faulty{FS: vfs.OS, Inject: f.inject}
	return f
}

func (f *oneFault) inject(op vfs.Op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed && f.fired == "" && f.match(op, name) {
		f.fired = op.String() + " " + name
		return vfs.EIO
	}
	return nil
}

func (f *oneFault) arm() {
	f.mu.Lock()
	f.armed = true
	f.mu.Unlock()
}

func (f *oneFault) failed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// TestSnapshotFailureLeavesStoreWritable fails one file operation of a
// Snapshot call, at each step of the protocol: Snapshot returns the error,
// Stats counts it, no temp file is left, the store keeps taking writes and
// Syncs (a snapshot failing is no reason to stop: the journal holds
// everything), a later Snapshot succeeds, and a reopen restores it and
// holds every write. When the journal fails instead (its rotation for the
// snapshot), the store turns read-only as on any journal failure.
func TestSnapshotFailureLeavesStoreWritable(t *testing.T) {
	isTemp := func(name string) bool { return strings.HasSuffix(name, ".hsnap.tmp") }
	isSnap := func(name string) bool { return strings.HasSuffix(name, ".hsnap") }
	// The journal's rotation runs beside the save, and a directory fsync
	// does not say whose it is: the stack does.
	syncDirIn := func(fn string) func(op vfs.Op, _ string) bool {
		return func(op vfs.Op, _ string) bool { return op == vfs.OpSyncDir && calledFrom(fn) }
	}
	cases := []struct {
		name  string
		match func(op vfs.Op, name string) bool
		// journal: the fault hits the journal, which turns read-only;
		// failed: before it synced what the snapshot holds, so that the
		// Snapshot must fail with it (else it may or may not).
		journal, failed bool
		// saved: the fault hits the removal of what the snapshot makes
		// redundant, once the snapshot is in place: Stats counts it as
		// saved (and as failed).
		saved bool
	}{
		{name: "create the temp file", match: func(op vfs.Op, n string) bool { return op == vfs.OpCreate && isTemp(n) }},
		{name: "write the temp file", match: func(op vfs.Op, n string) bool { return op == vfs.OpWrite && isTemp(n) }},
		{name: "fsync the temp file", match: func(op vfs.Op, n string) bool { return op == vfs.OpSync && isTemp(n) }},
		{name: "close the temp file", match: func(op vfs.Op, n string) bool { return op == vfs.OpClose && isTemp(n) }},
		{name: "rename", match: func(op vfs.Op, _ string) bool { return op == vfs.OpRename }},
		{name: "fsync the directory after the rename", match: syncDirIn("journal.(*SnapshotWriter).Commit")},
		{name: "list the segments", saved: true, match: func(op vfs.Op, _ string) bool { return op == vfs.OpList }},
		{name: "stat a segment", saved: true, match: func(op vfs.Op, n string) bool { return op == vfs.OpStat && isWAL(n) }},
		{name: "remove a segment", saved: true, match: func(op vfs.Op, n string) bool { return op == vfs.OpRemove && isWAL(n) }},
		{name: "fsync the directory after removing segments", saved: true, match: syncDirIn("journal.CompactSegments")},
		{name: "list the snapshots", saved: true, match: func(op vfs.Op, _ string) bool { return op == vfs.OpList && calledFrom("journal.PruneSnapshots") }},
		{name: "prune a snapshot", saved: true, match: func(op vfs.Op, n string) bool { return op == vfs.OpRemove && isSnap(n) }},
		{name: "fsync the directory after pruning", saved: true, match: syncDirIn("journal.PruneSnapshots")},
		{name: "the journal's fsync", journal: true, failed: true,
			match: func(op vfs.Op, n string) bool { return op == vfs.OpSync && isWAL(n) }},
		{name: "the journal's new segment", journal: true,
			match: func(op vfs.Op, n string) bool { return op == vfs.OpCreate && isWAL(n) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { snapshotFailure(t, c.match, c.journal, c.failed, c.saved) })
	}
}

// snapshotFailure runs one case of TestSnapshotFailureLeavesStoreWritable.
func snapshotFailure(t *testing.T, match func(op vfs.Op, name string) bool, journal, failed, saved bool) {
	ctx := t.Context()
	dir := newDir(t)
	f := newOneFault(match)
	opts := &Options{SegmentSize: MinSegmentSize, SnapshotThreshold: -1, KeepSnapshots: 1, fs: &f.faulty}
	m := model{}
	db := openT(t, dir, opts)
	snapWorkload(t, db, m, 0, 40)
	require.NoError(t, db.Snapshot(ctx)) // one to prune
	snapWorkload(t, db, m, 40, 100)

	f.arm()
	err := db.Snapshot(ctx)
	require.NotEmpty(t, f.failed(), "the fault never fired")
	where := "fault at " + f.failed()
	noTemp := func() {
		t.Helper()
		names, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range names {
			require.False(t, strings.HasSuffix(e.Name(), ".tmp"), "%s: %s is left", where, e.Name())
		}
	}
	if journal {
		// A journal that fails before it synced what the snapshot holds
		// fails the snapshot; one that fails after (starting its next
		// segment) may or may not. Either way no write succeeds from now
		// on.
		if failed {
			require.Error(t, err, where)
		}
		if err != nil {
			require.ErrorIs(t, err, ErrReadOnly, where)
			require.ErrorIs(t, err, vfs.ErrInjected, where)
			require.EqualValues(t, 1, db.Stats().SnapshotsFailed, where)
			noTemp()
		}
		require.ErrorIs(t, db.SetBytes(ctx, "after", []byte("x")), ErrReadOnly, where)
		require.ErrorIs(t, db.Sync(ctx), ErrReadOnly, where)
		requireContents(t, ctx, db, m)
		require.Error(t, db.Close(), where)
		db = openT(t, dir, nil)
		requireContents(t, ctx, db, m)
		return
	}
	require.ErrorIs(t, err, vfs.ErrInjected, where)
	require.NotErrorIs(t, err, ErrReadOnly, where)
	st := db.Stats()
	extra := uint64(0) // the failed one, if Stats counts it as saved
	if saved {
		extra = 1
	}
	require.Equal(t, 1+extra, st.Snapshots, where)
	require.EqualValues(t, 1, st.SnapshotsFailed, where)
	require.ErrorIs(t, st.LastSnapshotErr, vfs.ErrInjected, where)
	noTemp()

	// The store goes on.
	snapWorkload(t, db, m, 100, 110)
	require.NoError(t, db.Sync(ctx), where)
	requireContents(t, ctx, db, m)
	require.NoError(t, db.Snapshot(ctx), where)
	st = db.Stats()
	require.Equal(t, 2+extra, st.Snapshots, where)
	require.EqualValues(t, 1, st.SnapshotsFailed, where)
	last := st.LastSnapshotLSN
	snapWorkload(t, db, m, 110, 112)
	require.NoError(t, db.Close(), where)
	require.Len(t, snapFiles(t, dir), 1, "%s: the later snapshot prunes the rest", where)

	db = openT(t, dir, nil)
	require.Equal(t, last, db.Recovery().SnapshotLSN, where)
	require.Empty(t, db.Recovery().SkippedSnapshots, where)
	requireContents(t, ctx, db, m)
}
