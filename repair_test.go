package hurrah

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/testkit"
	"github.com/hurrahdb/hurrah/internal/vfs"
	"github.com/hurrahdb/hurrah/journal"
)

// repairOpts writes every record in its own fsynced frame, into segments of
// the smallest size, so that a store of a hundred records spans several.
// KeepSnapshots 2: the snapshot tests need an older snapshot beside the newest.
var repairOpts = Options{Durability: Synced, SegmentSize: MinSegmentSize, KeepSnapshots: 2}

// repairStore is a closed store written by repairWrite, and what it held
// after each record.
type repairStore struct {
	dir    string
	states []map[string]string // states[l]: the contents after LSN l
	n      int                 // records written
	segs   []string            // segment paths, oldest first
}

// repairWrite writes n records or more to a fresh store, one at a time (so
// one frame each), until the newest segment holds at least five: sets of new
// and overwritten keys, and every seventh record a delete of a key that is
// there, so that every call takes one LSN.
func repairWrite(t *testing.T, n int) *repairStore {
	t.Helper()
	rs := &repairStore{dir: filepath.Join(t.TempDir(), "db"), states: []map[string]string{{}}}
	db, err := Open(rs.dir, &repairOpts)
	require.NoError(t, err)
	defer db.Close()
	m := map[string]string{}
	newest := func() int {
		segs := repairSegments(t, rs.dir)
		offs, _ := repairFrames(t, segs[len(segs)-1])
		return len(offs)
	}
	for i := 0; i < n || newest() < 5; i++ {
		rs.states = append(rs.states, repairStep(t, db, m, i))
	}
	require.NoError(t, db.Close())
	rs.n = len(rs.states) - 1
	rs.segs = repairSegments(t, rs.dir)
	require.GreaterOrEqual(t, len(rs.segs), 4, "the test needs several segments")
	return rs
}

// repairStep writes record i of the stores repairWrite and
// repairWriteSnapshots write, changing m to match, and returns a copy of m:
// a set of a new or overwritten key, or every seventh record a delete of a
// key that is there.
func repairStep(t *testing.T, db *DB, m map[string]string, i int) map[string]string {
	t.Helper()
	ctx := t.Context()
	if i%7 == 6 {
		k := slices.Sorted(maps.Keys(m))[i%len(m)]
		found, err := db.Delete(ctx, k)
		require.NoError(t, err)
		require.True(t, found)
		delete(m, k)
	} else {
		k := "k" + strconv.Itoa(i%40)
		v := fmt.Sprintf("v%d-%s", i, strings.Repeat("x", 200))
		require.NoError(t, Set(ctx, db, k, v))
		m[k] = v
	}
	return maps.Clone(m)
}

// repairSegments lists the segments of dir, oldest first.
func repairSegments(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	slices.Sort(segs)
	return segs
}

// repairFrames returns the offset and first LSN of every frame of a clean
// segment.
func repairFrames(t *testing.T, seg string) (offs []int64, lsns []uint64) {
	t.Helper()
	frames, err := testkit.Frames(repairRead(t, seg))
	require.NoError(t, err)
	for _, f := range frames {
		offs, lsns = append(offs, f.Off), append(lsns, f.FirstLSN)
	}
	return offs, lsns
}

func repairRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// repairImage returns every file in dir with its contents.
func repairImage(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	img := map[string][]byte{}
	for _, e := range ents {
		img[e.Name()] = repairRead(t, filepath.Join(dir, e.Name()))
	}
	return img
}

// repairRequireHolds opens dir and requires it to hold exactly m, then
// writes to it, reopens it and requires the write to be there too.
func repairRequireHolds(t *testing.T, dir string, m map[string]string) {
	t.Helper()
	ctx := t.Context()
	check := func(db *DB, m map[string]string) {
		t.Helper()
		keys, err := db.Keys(ctx)
		require.NoError(t, err)
		slices.Sort(keys)
		want := slices.Sorted(maps.Keys(m))
		if len(want) == 0 {
			want = nil
		}
		if len(keys) == 0 {
			keys = nil
		}
		require.Equal(t, want, keys)
		for k, v := range m {
			got, err := Get[string](ctx, db, k)
			require.NoError(t, err, k)
			require.Equal(t, v, got, k)
		}
	}
	db, err := Open(dir, &repairOpts)
	require.NoError(t, err)
	defer db.Close()
	require.Nil(t, db.Recovery().TornTail)
	check(db, m)

	m = maps.Clone(m)
	require.NoError(t, Set(ctx, db, "after repair", "yes"))
	m["after repair"] = "yes"
	require.NoError(t, db.Close())
	db, err = Open(dir, &repairOpts)
	require.NoError(t, err)
	defer db.Close()
	check(db, m)
	require.NoError(t, db.Close())
}

// TestRepairBitFlip flips a bit in a middle record of a middle segment, and
// of the last segment before records that were fsynced after it: Open must
// refuse with ErrCorrupt, Check must tell what Repair will do without doing
// it, and Repair must set aside exactly the bytes from the damaged record on
// and leave a store holding exactly what it held before that record.
func TestRepairBitFlip(t *testing.T) {
	const n = 100
	for _, tt := range []struct {
		name string
		seg  func(segs []string) int
	}{
		{"middle segment", func(s []string) int { return len(s) / 2 }},
		{"last segment", func(s []string) int { return len(s) - 1 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := repairWrite(t, n)
			k := tt.seg(rs.segs)
			seg := rs.segs[k]
			offs, lsns := repairFrames(t, seg)
			require.GreaterOrEqual(t, len(offs), 3, "the test needs a middle frame")
			f := len(offs) / 2
			x, lsn := offs[f], lsns[f]
			b := repairRead(t, seg)
			b[x+testkit.FrameHeaderSize+5] ^= 0x01
			require.NoError(t, os.WriteFile(seg, b, 0o644))
			later := map[string][]byte{}
			for _, s := range rs.segs[k+1:] {
				later[s] = repairRead(t, s)
			}
			before := repairImage(t, rs.dir)

			_, err := Open(rs.dir, &repairOpts)
			require.ErrorIs(t, err, ErrCorrupt)
			var ce *CorruptError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, seg, ce.File)
			require.Equal(t, x, ce.Offset)

			check, err := Check(rs.dir)
			require.NoError(t, err)
			require.True(t, check.DryRun)
			require.Equal(t, before, repairImage(t, rs.dir), "Check changes nothing")

			rep, err := Repair(rs.dir)
			require.NoError(t, err)
			check.DryRun = false
			require.Equal(t, check, rep, "Check tells what Repair does")

			require.NotNil(t, rep.Damage)
			require.Equal(t, seg, rep.Damage.File)
			require.Equal(t, x, rep.Damage.Offset)
			require.Equal(t, lsn-1, rep.LastLSN)
			require.Equal(t, lsn-1, rep.Entries)
			require.Equal(t, uint64(rs.n), rep.HighestLost)
			require.Len(t, rep.SetAside, len(rs.segs)-k)
			cut := rep.SetAside[0]
			require.Equal(t, journal.SetAside{File: seg, Offset: x, Bytes: int64(len(b)) - x,
				SavedAs: seg + "." + strconv.FormatInt(x, 10) + ".corrupt"}, cut)
			require.Equal(t, b[x:], repairRead(t, cut.SavedAs), "the cut bytes are kept")
			require.Equal(t, b[:x], repairRead(t, seg), "the segment ends before the damage")
			total := cut.Bytes
			for i, s := range rs.segs[k+1:] {
				a := rep.SetAside[1+i]
				require.Equal(t, journal.SetAside{File: s, Bytes: int64(len(later[s])), SavedAs: s + ".corrupt"}, a)
				require.Equal(t, later[s], repairRead(t, a.SavedAs))
				require.NoFileExists(t, s)
				total += a.Bytes
			}
			require.Equal(t, total, rep.Bytes)

			repairRequireHolds(t, rs.dir, rs.states[lsn-1])
		})
	}
}

// TestRepairCleanStore checks that Repair leaves a sound store byte for byte
// as it was and says it found nothing.
func TestRepairCleanStore(t *testing.T) {
	rs := repairWrite(t, 100)
	before := repairImage(t, rs.dir)
	for _, f := range []func(string) (RepairReport, error){Check, Repair} {
		rep, err := f(rs.dir)
		require.NoError(t, err)
		require.Nil(t, rep.Damage)
		require.Empty(t, rep.SetAside)
		require.Zero(t, rep.Bytes)
		require.Equal(t, uint64(rs.n), rep.LastLSN)
		require.Equal(t, len(rs.segs), rep.Segments)
		require.Equal(t, before, repairImage(t, rs.dir))
	}
	repairRequireHolds(t, rs.dir, rs.states[rs.n])
}

// TestRepairWhileOpen checks that neither Repair nor Check touches a store
// that is open.
func TestRepairWhileOpen(t *testing.T) {
	rs := repairWrite(t, 100)
	db, err := Open(rs.dir, &repairOpts)
	require.NoError(t, err)
	defer db.Close()
	before := repairImage(t, rs.dir)
	_, err = Repair(rs.dir)
	require.ErrorIs(t, err, ErrLocked)
	_, err = Check(rs.dir)
	require.ErrorIs(t, err, ErrLocked)
	require.Equal(t, before, repairImage(t, rs.dir))
	require.NoError(t, db.Close())
	_, err = Repair(rs.dir)
	require.NoError(t, err, "the lock is free once the store is closed")
}

// TestRepairNewerVersion checks that Repair refuses, changing nothing, a
// store with a segment of a newer format version, even behind damage it
// could otherwise cut.
func TestRepairNewerVersion(t *testing.T) {
	rs := repairWrite(t, 100)
	last := rs.segs[len(rs.segs)-1]
	b := repairRead(t, last)
	setVersion(b, 2)
	require.NoError(t, os.WriteFile(last, b, 0o644))
	_, err := Open(rs.dir, &repairOpts)
	require.ErrorIs(t, err, ErrVersion)
	before := repairImage(t, rs.dir)
	_, err = Repair(rs.dir)
	require.ErrorIs(t, err, ErrVersion)
	require.Equal(t, before, repairImage(t, rs.dir))

	offs, _ := repairFrames(t, rs.segs[1])
	b = repairRead(t, rs.segs[1])
	b[offs[1]+testkit.FrameHeaderSize] ^= 0x01
	require.NoError(t, os.WriteFile(rs.segs[1], b, 0o644))
	before = repairImage(t, rs.dir)
	_, err = Repair(rs.dir)
	require.ErrorIs(t, err, ErrVersion)
	require.Equal(t, before, repairImage(t, rs.dir))
}

// TestRepairBadRecord replaces a middle record with one whose frame is
// intact but whose contents are not a command: Open refuses it, and Repair
// must find and cut it too, though no checksum fails.
func TestRepairBadRecord(t *testing.T) {
	rs := repairWrite(t, 100)
	seg := rs.segs[len(rs.segs)/2]
	offs, lsns := repairFrames(t, seg)
	f := len(offs) / 2
	b := repairRead(t, seg)
	frames, err := testkit.Frames(b)
	require.NoError(t, err)
	img := append([]byte(nil), b[:offs[f]]...)
	img = testkit.AppendFrame(img, frames[f].FirstLSN, frames[f].Synced, [][]byte{[]byte("not a command")})
	for _, fr := range frames[f+1:] {
		img = testkit.AppendFrame(img, fr.FirstLSN, fr.Synced, fr.Entries)
	}
	require.NoError(t, os.WriteFile(seg, img, 0o644))
	_, err = Open(rs.dir, &repairOpts)
	require.ErrorIs(t, err, ErrCorrupt)

	rep, err := Repair(rs.dir)
	require.NoError(t, err)
	require.NotNil(t, rep.Damage)
	require.Equal(t, seg, rep.Damage.File)
	require.Equal(t, offs[f], rep.Damage.Offset)
	require.Equal(t, lsns[f]-1, rep.LastLSN)
	require.Equal(t, img[offs[f]:], repairRead(t, rep.SetAside[0].SavedAs))
	repairRequireHolds(t, rs.dir, rs.states[lsns[f]-1])
}

// TestRepairBadDir checks the errors for a path that is no store directory.
func TestRepairBadDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	for _, dir := range []string{"", file} {
		_, err := Repair(dir)
		require.ErrorIs(t, err, ErrBadDir, "%q", dir)
		_, err = Check(dir)
		require.ErrorIs(t, err, ErrBadDir, "%q", dir)
	}
	_, err := Repair(filepath.Join(t.TempDir(), "missing"))
	require.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
}

// repairWriteSnapshots writes a store as repairWrite does, in phases: the
// records of each phase, then a snapshot after every phase but the last.
// The snapshots compact the journal unless keepJournal is set, which keeps
// every segment, as if each compaction had been cut short by a crash. It
// returns the store and the LSN of each snapshot.
func repairWriteSnapshots(t *testing.T, keepJournal bool, phases ...int) (*repairStore, []uint64) {
	t.Helper()
	rs := &repairStore{dir: filepath.Join(t.TempDir(), "db"), states: []map[string]string{{}}}
	opts := repairOpts
	if keepJournal {
		opts.fs = keepSegments{vfs.OS}
	}
	db, err := Open(rs.dir, &opts)
	require.NoError(t, err)
	defer db.Close()
	m := map[string]string{}
	var snaps []uint64
	for p, n := range phases {
		for range n {
			rs.states = append(rs.states, repairStep(t, db, m, len(rs.states)-1))
		}
		if p < len(phases)-1 {
			require.NoError(t, db.Snapshot(t.Context()))
			snaps = append(snaps, uint64(len(rs.states)-1))
		}
	}
	require.NoError(t, db.Close())
	rs.n = len(rs.states) - 1
	rs.segs = repairSegments(t, rs.dir)
	return rs, snaps
}

// keepSegments is a file system on which removing a journal segment does
// nothing.
type keepSegments struct{ vfs.FS }

func (k keepSegments) Remove(name string) error {
	if strings.HasSuffix(name, ".wal") {
		return nil
	}
	return k.FS.Remove(name)
}

// repairSnapPath is the path of the snapshot at lsn in dir.
func repairSnapPath(dir string, lsn uint64) string {
	return filepath.Join(dir, testkit.SnapshotName(lsn))
}

// repairFirstLSN is the first LSN of a segment, from its name.
func repairFirstLSN(t *testing.T, seg string) uint64 {
	t.Helper()
	lsn, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(seg), ".wal"), 10, 64)
	require.NoError(t, err)
	return lsn
}

// TestCheckCompactedStore checks that Check and Repair find a store whose
// journal was compacted after a snapshot sound, report the snapshot, and
// leave the store as it is.
func TestCheckCompactedStore(t *testing.T) {
	rs, snaps := repairWriteSnapshots(t, false, 60, 40)
	first := repairFirstLSN(t, rs.segs[0])
	require.Greater(t, first, uint64(1), "the snapshot compacted the journal")
	require.LessOrEqual(t, first, snaps[0]+1)
	before := repairImage(t, rs.dir)
	for _, f := range []func(string) (RepairReport, error){Check, Repair} {
		rep, err := f(rs.dir)
		require.NoError(t, err)
		require.Nil(t, rep.Damage)
		require.Nil(t, rep.Unrepairable)
		require.Empty(t, rep.SetAside)
		require.Empty(t, rep.SnapshotsSetAside)
		require.Equal(t, first, rep.FirstLSN)
		require.Equal(t, uint64(rs.n), rep.LastLSN)
		require.Equal(t, uint64(rs.n)-first+1, rep.Entries)
		require.Equal(t, len(rs.segs), rep.Segments)
		path := repairSnapPath(rs.dir, snaps[0])
		require.Equal(t, journal.SnapshotFile{Path: path, LSN: snaps[0]}, rep.Restored)
		require.Equal(t, []SnapshotCheck{{SnapshotFile: rep.Restored, Count: uint64(len(rs.states[snaps[0]])),
			Size: int64(len(repairRead(t, path)))}}, rep.Snapshots)
		require.Equal(t, before, repairImage(t, rs.dir))
	}
	repairRequireHolds(t, rs.dir, rs.states[rs.n])
}

// TestCheckRemovedSnapshot removes the snapshot of a compacted store, so
// that the records it held are nowhere: Open, Check and Repair (and so
// `hurrah check`, which prints Check's report) all name the missing
// snapshot and the records up to its LSN, not the first segment, and
// nothing changes.
func TestCheckRemovedSnapshot(t *testing.T) {
	rs, snaps := repairWriteSnapshots(t, false, 60, 40)
	require.Equal(t, snaps[0]+1, repairFirstLSN(t, rs.segs[0]), "the snapshot compacted the journal")
	missing := repairSnapPath(rs.dir, snaps[0])
	require.NoError(t, os.Remove(missing))
	before := repairImage(t, rs.dir)
	held := fmt.Sprintf("the records up to LSN %d", snaps[0])

	_, err := Open(rs.dir, &repairOpts)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, missing, ce.File)
	require.ErrorContains(t, err, held)
	for _, f := range []func(string) (RepairReport, error){Check, Repair} {
		rep, err := f(rs.dir)
		if rep.DryRun {
			require.NoError(t, err)
		} else {
			require.ErrorAs(t, err, &ce)
			require.Equal(t, missing, ce.File)
		}
		require.NotNil(t, rep.Damage)
		require.Equal(t, missing, rep.Damage.File)
		require.ErrorAs(t, rep.Unrepairable, &ce)
		require.Equal(t, missing, ce.File)
		require.Contains(t, ce.Reason, held)
		require.Contains(t, ce.Reason, "missing")
		require.Equal(t, before, repairImage(t, rs.dir))
	}
}

// TestRepairCompactedStore damages a segment after the snapshot of a
// compacted store: Check reports it, Repair cuts it, and the store opens
// with the snapshot and the sound part of the journal.
func TestRepairCompactedStore(t *testing.T) {
	rs, snaps := repairWriteSnapshots(t, false, 60, 60)
	k := slices.IndexFunc(rs.segs, func(s string) bool { return repairFirstLSN(t, s) > snaps[0]+1 })
	require.GreaterOrEqual(t, k, 1, "the test needs a segment after the snapshot")
	require.Less(t, k, len(rs.segs)-1, "the test needs a segment after the snapshot")
	seg := rs.segs[k]
	offs, lsns := repairFrames(t, seg)
	f := len(offs) / 2
	x, lsn := offs[f], lsns[f]
	b := repairRead(t, seg)
	b[x+testkit.FrameHeaderSize+5] ^= 0x01
	require.NoError(t, os.WriteFile(seg, b, 0o644))
	_, err := Open(rs.dir, &repairOpts)
	require.ErrorIs(t, err, ErrCorrupt)
	before := repairImage(t, rs.dir)

	check, err := Check(rs.dir)
	require.NoError(t, err)
	require.Equal(t, before, repairImage(t, rs.dir), "Check changes nothing")
	require.NotNil(t, check.Damage)
	require.Equal(t, seg, check.Damage.File)
	require.Equal(t, x, check.Damage.Offset)
	require.Nil(t, check.Unrepairable)
	require.Equal(t, snaps[0], check.Restored.LSN)

	rep, err := Repair(rs.dir)
	require.NoError(t, err)
	check.DryRun = false
	require.Equal(t, check, rep, "Check tells what Repair does")
	require.Equal(t, lsn-1, rep.LastLSN)
	require.Equal(t, uint64(rs.n), rep.HighestLost)
	require.Equal(t, repairFirstLSN(t, rs.segs[0]), rep.FirstLSN)
	require.Equal(t, seg+"."+strconv.FormatInt(x, 10)+".corrupt", rep.SetAside[0].SavedAs)
	require.Len(t, rep.SetAside, len(rs.segs)-k)

	again, err := Check(rs.dir)
	require.NoError(t, err)
	require.Nil(t, again.Damage)
	require.Equal(t, lsn-1, again.LastLSN)
	repairRequireHolds(t, rs.dir, rs.states[lsn-1])
	db, err := Open(rs.dir, &repairOpts)
	require.NoError(t, err)
	require.Equal(t, snaps[0], db.Recovery().SnapshotLSN, "the store is restored from the snapshot")
	require.NoError(t, db.Close())
}

// TestCheckSnapshots checks what Check and Repair make of damaged
// snapshots: a corrupt newest snapshot that Open passes over is reported,
// not fatal; one the journal was compacted after is fatal and cannot be
// repaired; one that passes its checks but does not restore is set aside
// if the journal reaches back to the older one.
func TestCheckSnapshots(t *testing.T) {
	// Two snapshots, and a journal that still reaches back to the first.
	reaching := func(t *testing.T) (*repairStore, []uint64) {
		t.Helper()
		rs, snaps := repairWriteSnapshots(t, true, 60, 20, 40)
		require.LessOrEqual(t, repairFirstLSN(t, rs.segs[0]), snaps[0]+1, "the journal reaches back to the first snapshot")
		return rs, snaps
	}
	t.Run("corrupt newest passed over", func(t *testing.T) {
		rs, snaps := reaching(t)
		newest := repairSnapPath(rs.dir, snaps[1])
		b := repairRead(t, newest)
		b[testkit.SnapshotHeaderSize+3] ^= 0x10
		require.NoError(t, os.WriteFile(newest, b, 0o644))
		before := repairImage(t, rs.dir)
		for _, f := range []func(string) (RepairReport, error){Check, Repair} {
			rep, err := f(rs.dir)
			require.NoError(t, err)
			require.Nil(t, rep.Damage)
			require.Equal(t, snaps[0], rep.Restored.LSN)
			require.Len(t, rep.Snapshots, 2)
			require.NoError(t, rep.Snapshots[0].Err)
			require.ErrorIs(t, rep.Snapshots[1].Err, ErrCorrupt)
			require.Equal(t, before, repairImage(t, rs.dir), "the snapshot is left where it is")
		}
		repairRequireHolds(t, rs.dir, rs.states[rs.n])
	})
	t.Run("corrupt newest the journal was compacted after", func(t *testing.T) {
		rs, snaps := repairWriteSnapshots(t, false, 30, 30, 40)
		first := repairFirstLSN(t, rs.segs[0])
		require.Greater(t, first, snaps[0]+1, "the journal does not reach back to the first snapshot")
		newest := repairSnapPath(rs.dir, snaps[1])
		b := repairRead(t, newest)
		b[testkit.SnapshotHeaderSize+3] ^= 0x10
		require.NoError(t, os.WriteFile(newest, b, 0o644))
		_, err := Open(rs.dir, &repairOpts)
		require.ErrorIs(t, err, ErrCorrupt)
		before := repairImage(t, rs.dir)

		check, err := Check(rs.dir)
		require.NoError(t, err, "Check reports it")
		require.NotNil(t, check.Damage)
		require.ErrorIs(t, check.Unrepairable, ErrCorrupt)
		require.ErrorContains(t, check.Unrepairable, filepath.Base(newest))
		require.ErrorContains(t, check.Unrepairable, fmt.Sprintf("the records %d to %d are missing", snaps[0]+1, first-1))
		require.Equal(t, first, check.FirstLSN)
		rep, err := Repair(rs.dir)
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, "cannot repair")
		require.Empty(t, rep.SetAside)
		require.Empty(t, rep.SnapshotsSetAside)
		require.Equal(t, before, repairImage(t, rs.dir))
	})
	t.Run("newest does not restore", func(t *testing.T) {
		rs, snaps := reaching(t)
		newest := repairSnapPath(rs.dir, snaps[1])
		// A snapshot whose checksums pass but that holds a key twice:
		// no store writes one, and Open refuses it.
		w, err := journal.CreateSnapshot(vfs.OS, rs.dir, snaps[1], 2)
		require.NoError(t, err)
		require.NoError(t, w.Add("k", []byte("1")))
		require.NoError(t, w.Add("k", []byte("2")))
		_, err = w.Commit()
		require.NoError(t, err)
		bad := repairRead(t, newest)
		_, err = Open(rs.dir, &repairOpts)
		require.ErrorIs(t, err, ErrCorrupt)
		before := repairImage(t, rs.dir)

		check, err := Check(rs.dir)
		require.NoError(t, err)
		require.Equal(t, before, repairImage(t, rs.dir))
		require.Equal(t, newest, check.Damage.File)
		require.Nil(t, check.Unrepairable)
		require.NoError(t, check.Snapshots[1].Err)
		require.ErrorIs(t, check.Snapshots[1].RestoreErr, ErrCorrupt)
		require.Equal(t, snaps[0], check.Restored.LSN)
		require.Equal(t, []journal.SetAside{{File: newest, Bytes: int64(len(bad)), SavedAs: newest + ".corrupt"}},
			check.SnapshotsSetAside)
		require.Empty(t, check.SetAside)

		rep, err := Repair(rs.dir)
		require.NoError(t, err)
		check.DryRun = false
		require.Equal(t, check, rep)
		require.Equal(t, bad, repairRead(t, newest+".corrupt"))
		require.NoFileExists(t, newest)
		repairRequireHolds(t, rs.dir, rs.states[rs.n])
	})
}

// TestPrune checks that Prune removes all but the newest snapshots of a
// closed store, and refuses while the store is open, for bad arguments,
// and when it would remove the snapshot the store restores.
func TestPrune(t *testing.T) {
	opts := repairOpts
	opts.KeepSnapshots = 4
	dir := filepath.Join(t.TempDir(), "db")
	db, err := Open(dir, &opts)
	require.NoError(t, err)
	defer db.Close()
	m := map[string]string{}
	var snaps []uint64
	for i := range 30 {
		repairStep(t, db, m, i)
		if i%10 == 9 {
			require.NoError(t, db.Snapshot(t.Context()))
			snaps = append(snaps, uint64(i+1))
		}
	}
	_, err = Prune(dir, 1)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, db.Close())

	_, err = Prune(dir, 0)
	require.ErrorIs(t, err, ErrInvalidOptions)
	_, err = Prune("", 1)
	require.ErrorIs(t, err, ErrBadDir)
	_, err = Prune(filepath.Join(dir, "LOCK"), 1)
	require.ErrorIs(t, err, ErrBadDir)

	removed, err := Prune(dir, 2)
	require.NoError(t, err)
	require.Equal(t, []string{repairSnapPath(dir, snaps[0])}, removed)
	require.NoFileExists(t, removed[0])

	// The newest kept is damaged: the one the store restores must stay.
	newest := repairSnapPath(dir, snaps[2])
	b := repairRead(t, newest)
	b[testkit.SnapshotHeaderSize] ^= 0x01
	require.NoError(t, os.WriteFile(newest, b, 0o644))
	before := repairImage(t, dir)
	removed, err = Prune(dir, 1)
	require.ErrorIs(t, err, ErrCorrupt)
	require.Empty(t, removed)
	require.Equal(t, before, repairImage(t, dir))
	removed, err = Prune(dir, 2)
	require.NoError(t, err)
	require.Empty(t, removed)
}
