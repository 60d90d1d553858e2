package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/handoff"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// repairSegSize makes writeLog spread 40 entries over about ten segments.
const repairSegSize = 160

// repairLog writes entries 1..n, each fsynced in its own frame (so every
// frame records the fsync of the one before), into segments of
// repairSegSize, and returns the directory and its segments.
func repairLog(t *testing.T, n uint64) (string, []string) {
	t.Helper()
	dir := writeLog(t, n, true, Options{SegmentSize: repairSegSize, SyncInterval: quiet})
	segs := segments(t, dir)
	require.GreaterOrEqual(t, len(segs), 5, "the test needs several segments")
	return dir, segs
}

// firstLSN returns the first LSN of a segment, from its name.
func firstLSN(t *testing.T, seg string) uint64 {
	t.Helper()
	lsn, ok := parseSegmentName(filepath.Base(seg))
	require.True(t, ok, seg)
	return lsn
}

// flipBit flips one bit of the byte at off in name.
func flipBit(t *testing.T, name string, off int64) {
	t.Helper()
	b := readFile(t, name)
	b[off] ^= 0x04
	writeFileT(t, name, b)
}

// requireRefused requires Open to refuse dir as corrupt at seg and off.
func requireRefused(t *testing.T, dir, seg string, off int64) {
	t.Helper()
	_, err := tryOpen(vfs.OS, dir, Options{})
	require.ErrorIs(t, err, ErrCorrupt)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, seg, ce.File)
	require.Equal(t, off, ce.Offset)
}

// requireReopens requires dir to open holding exactly entries 1..last, with
// no torn tail, to take entries last+1..last+3 and to replay them after a
// reopen.
func requireReopens(t *testing.T, dir string, last uint64) {
	t.Helper()
	j := open(t, vfs.OS, dir, Options{SegmentSize: repairSegSize, SyncInterval: quiet})
	requireEntries(t, 1, last, j.replayed)
	require.Nil(t, j.rep.Torn)
	require.Equal(t, last, j.rep.LastLSN)
	require.NoError(t, put(t, j.Journal, last+1, last+3, true))
	require.NoError(t, j.Close())
	j = open(t, vfs.OS, dir, Options{})
	requireEntries(t, 1, last+3, j.replayed)
	require.NoError(t, j.Close())
}

// TestRepairCutsDamage damages a fsynced frame in the middle of a segment,
// or a segment's header, and checks that Repair (after a dry run that
// changes nothing) sets aside exactly the bytes from the damage on, and
// that the log then opens with exactly the entries before it.
func TestRepairCutsDamage(t *testing.T) {
	const n = 40
	tests := []struct {
		name   string
		seg    func(segs []string) int // which segment to damage
		header bool                    // damage its header rather than a middle frame
	}{
		{"middle segment", func(s []string) int { return len(s) / 2 }, false},
		{"first segment", func([]string) int { return 0 }, false},
		{"last segment before synced data", func(s []string) int { return len(s) - 1 }, false},
		{"header of middle segment", func(s []string) int { return len(s) / 2 }, true},
		{"header of first segment", func([]string) int { return 0 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, segs := repairLog(t, n)
			k := tt.seg(segs)
			seg := segs[k]
			orig := readFile(t, seg)
			offs := frameOffsets(t, orig)
			frames := len(offs) - 1
			require.GreaterOrEqual(t, frames, 3, "the test needs a middle frame")
			var x int64
			var last uint64 // last LSN before the damage
			if tt.header {
				flipBit(t, seg, 20) // in the first LSN: the checksum fails
				last = firstLSN(t, seg) - 1
			} else {
				f := frames / 2
				x = offs[f]
				flipBit(t, seg, x+frameHeaderSize+3)
				last = firstLSN(t, seg) + uint64(f) - 1 // one entry a frame
			}
			damaged := readFile(t, seg)
			requireRefused(t, dir, seg, x)
			later := map[string][]byte{}
			for _, s := range segs[k+1:] {
				later[s] = readFile(t, s)
			}

			before := dirImage(t, dir)
			dry, err := Repair(vfs.OS, dir, RepairOptions{DryRun: true})
			require.NoError(t, err)
			require.Equal(t, before, dirImage(t, dir), "a dry run changes nothing")

			rep, err := Repair(vfs.OS, dir, RepairOptions{})
			require.NoError(t, err)
			require.True(t, dry.DryRun)
			require.False(t, rep.DryRun)
			dry.DryRun = false
			require.Equal(t, rep, dry, "the dry run tells what Repair does")

			require.NotNil(t, rep.Damage)
			require.Equal(t, seg, rep.Damage.File)
			require.Equal(t, x, rep.Damage.Offset)
			require.Equal(t, last, rep.LastLSN)
			require.Equal(t, last, rep.Entries)
			require.Equal(t, uint64(n), rep.HighestLost)
			require.Nil(t, rep.Torn)
			if x == 0 {
				require.Equal(t, k, rep.Segments)
			} else {
				require.Equal(t, k+1, rep.Segments)
			}

			want := []SetAside{{File: seg, Offset: x, Bytes: int64(len(damaged)) - x,
				SavedAs: fmt.Sprintf("%s.%d.corrupt", seg, x)}}
			total := int64(len(damaged)) - x
			for _, s := range segs[k+1:] {
				want = append(want, SetAside{File: s, Bytes: int64(len(later[s])), SavedAs: s + ".corrupt"})
				total += int64(len(later[s]))
			}
			require.Equal(t, want, rep.SetAside)
			require.Equal(t, total, rep.Bytes)
			require.Equal(t, damaged[x:], readFile(t, want[0].SavedAs), "the cut bytes are kept")
			for _, a := range want[1:] {
				require.Equal(t, later[a.File], readFile(t, a.SavedAs))
				require.NoFileExists(t, a.File)
			}
			if x == 0 {
				require.NoFileExists(t, seg)
			} else {
				require.Equal(t, orig[:x], readFile(t, seg))
			}

			requireReopens(t, dir, last)

			// The repaired log is clean: another Repair changes nothing.
			before = dirImage(t, dir)
			again, err := Repair(vfs.OS, dir, RepairOptions{})
			require.NoError(t, err)
			require.Nil(t, again.Damage)
			require.Empty(t, again.SetAside)
			require.Equal(t, before, dirImage(t, dir))
		})
	}
}

// TestRepairCleanLog checks that Repair leaves a clean log, and one whose
// only fault is a torn tail, byte for byte as it was, and says so.
func TestRepairCleanLog(t *testing.T) {
	const n = 40
	t.Run("clean", func(t *testing.T) {
		dir, segs := repairLog(t, n)
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun})
			require.NoError(t, err)
			require.Equal(t, RepairReport{DryRun: dryRun, Segments: len(segs), Entries: n, FirstLSN: 1, LastLSN: n}, rep)
			require.Equal(t, before, dirImage(t, dir))
		}
		requireReopens(t, dir, n)
	})
	t.Run("torn tail", func(t *testing.T) {
		dir, segs := repairLog(t, n)
		seg := segs[len(segs)-1]
		orig := readFile(t, seg)
		writeFileT(t, seg, append(bytes.Clone(orig), "half a frame"...))
		before := dirImage(t, dir)
		rep, err := Repair(vfs.OS, dir, RepairOptions{})
		require.NoError(t, err)
		require.Nil(t, rep.Damage)
		require.Empty(t, rep.SetAside)
		require.Equal(t, &SetAside{File: seg, Offset: int64(len(orig)), Bytes: int64(len("half a frame"))}, rep.Torn)
		require.Equal(t, uint64(n), rep.LastLSN)
		require.Equal(t, before, dirImage(t, dir))
		j := open(t, vfs.OS, dir, Options{})
		require.NotNil(t, j.rep.Torn, "Open cuts it")
		require.NoError(t, j.Close())
		requireReopens(t, dir, n)
	})
	t.Run("torn header", func(t *testing.T) {
		dir, segs := repairLog(t, n)
		seg := segPath(dir, n+1)
		writeFileT(t, seg, appendSegmentHeader(nil, n+1)[:segmentHeaderSize/2])
		before := dirImage(t, dir)
		rep, err := Repair(vfs.OS, dir, RepairOptions{})
		require.NoError(t, err)
		require.Equal(t, RepairReport{Segments: len(segs), Entries: n, FirstLSN: 1, LastLSN: n,
			Torn: &SetAside{File: seg, Bytes: segmentHeaderSize / 2}}, rep)
		require.Equal(t, before, dirImage(t, dir))
		j := open(t, vfs.OS, dir, Options{})
		require.NotNil(t, j.rep.Torn, "Open sets it aside")
		require.NoError(t, j.Close())
		requireReopens(t, dir, n)
	})
	t.Run("empty directory", func(t *testing.T) {
		dir := t.TempDir()
		rep, err := Repair(vfs.OS, dir, RepairOptions{})
		require.NoError(t, err)
		require.Equal(t, RepairReport{}, rep)
		require.Equal(t, []string{lockName}, names(t, dir))
	})
}

// TestRepairMissingSegment removes a middle segment: the next one no longer
// continues the log, so it and all after it are set aside whole.
func TestRepairMissingSegment(t *testing.T) {
	dir, segs := repairLog(t, 40)
	k := len(segs) / 2
	require.NoError(t, os.Remove(segs[k]))
	requireRefused(t, dir, segs[k+1], 0)
	rep, err := Repair(vfs.OS, dir, RepairOptions{})
	require.NoError(t, err)
	require.Len(t, rep.SetAside, len(segs)-k-1)
	require.Equal(t, SetAside{File: segs[k+1], Bytes: int64(len(readFile(t, segs[k+1]+".0.corrupt"))),
		SavedAs: segs[k+1] + ".0.corrupt"}, rep.SetAside[0])
	require.Equal(t, firstLSN(t, segs[k])-1, rep.LastLSN)
	requireReopens(t, dir, rep.LastLSN)
}

// TestRepairRefuses checks the cases Repair must not touch: a directory a
// journal holds, a segment of a newer version (even after the damage), a
// log whose beginning is missing, and a path that is not a directory.
func TestRepairRefuses(t *testing.T) {
	t.Run("locked", func(t *testing.T) {
		dir, segs := repairLog(t, 40)
		flipBit(t, segs[1], segmentHeaderSize+frameHeaderSize+3)
		lock, err := vfs.OS.Lock(filepath.Join(dir, lockName))
		require.NoError(t, err)
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			_, err = Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun})
			require.ErrorIs(t, err, ErrLocked)
			require.ErrorIs(t, err, vfs.ErrLocked)
		}
		require.Equal(t, before, dirImage(t, dir))
		require.NoError(t, lock.Close())
	})
	t.Run("open journal", func(t *testing.T) {
		dir, _ := repairLog(t, 40)
		j := open(t, vfs.OS, dir, Options{})
		_, err := Repair(vfs.OS, dir, RepairOptions{})
		require.ErrorIs(t, err, ErrLocked)
		require.NoError(t, j.Close())
	})
	newer := func(t *testing.T, seg string) {
		b := readFile(t, seg)
		le.PutUint32(b[8:12], segmentVersion+1)
		le.PutUint32(b[28:32], checksum(b[:28]))
		writeFileT(t, seg, b)
	}
	t.Run("newer version", func(t *testing.T) {
		dir, segs := repairLog(t, 40)
		newer(t, segs[len(segs)-1])
		before := dirImage(t, dir)
		_, err := Repair(vfs.OS, dir, RepairOptions{})
		require.ErrorIs(t, err, ErrVersion)
		require.Equal(t, before, dirImage(t, dir))
	})
	t.Run("newer version after the damage", func(t *testing.T) {
		dir, segs := repairLog(t, 40)
		flipBit(t, segs[1], segmentHeaderSize+frameHeaderSize+3)
		newer(t, segs[len(segs)-1])
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			_, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun})
			require.ErrorIs(t, err, ErrVersion)
			require.Equal(t, before, dirImage(t, dir))
		}
	})
	t.Run("beginning missing", func(t *testing.T) {
		dir, segs := repairLog(t, 40)
		require.NoError(t, os.Remove(segs[0]))
		before := dirImage(t, dir)
		_, err := Repair(vfs.OS, dir, RepairOptions{})
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, "missing")
		require.Equal(t, before, dirImage(t, dir))
	})
	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		writeFileT(t, file, []byte("x"))
		_, err := Repair(vfs.OS, file, RepairOptions{})
		require.Error(t, err)
		_, err = Repair(vfs.OS, filepath.Join(t.TempDir(), "missing"), RepairOptions{})
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

// TestRepairNamesNeverCollide checks that Repair picks a free name when
// files from an earlier repair are in the way.
func TestRepairNamesNeverCollide(t *testing.T) {
	dir, segs := repairLog(t, 40)
	k := len(segs) / 2
	x := frameOffsets(t, readFile(t, segs[k]))[1]
	flipBit(t, segs[k], x+frameHeaderSize+3)
	taken := []string{
		fmt.Sprintf("%s.%d.corrupt", segs[k], x),
		fmt.Sprintf("%s.%d-1.corrupt", segs[k], x),
		segs[k+1] + ".corrupt",
	}
	for _, name := range taken {
		writeFileT(t, name, []byte("earlier"))
	}
	rep, err := Repair(vfs.OS, dir, RepairOptions{})
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("%s.%d-2.corrupt", segs[k], x), rep.SetAside[0].SavedAs)
	require.Equal(t, segs[k+1]+"-1.corrupt", rep.SetAside[1].SavedAs)
	require.Equal(t, segs[k+2]+".corrupt", rep.SetAside[2].SavedAs)
	for _, name := range taken {
		require.Equal(t, []byte("earlier"), readFile(t, name))
	}
	requireReopens(t, dir, rep.LastLSN)
}

// TestRepairValidate checks that an entry Validate rejects makes its frame
// corrupt: the frame and all after it are set aside, even though their
// checksums pass.
func TestRepairValidate(t *testing.T) {
	const n, bad = 40, 23
	dir, _ := repairLog(t, n)
	var seen []uint64
	validate := func(e handoff.Entry) error {
		seen = append(seen, e.LSN)
		if !bytes.Equal(e.Data, payload(e.LSN)) {
			return fmt.Errorf("LSN %d holds the wrong payload", e.LSN)
		}
		if e.LSN == bad {
			return errors.New("rejected")
		}
		return nil
	}
	rep, err := Repair(vfs.OS, dir, RepairOptions{Validate: validate})
	require.NoError(t, err)
	require.NotNil(t, rep.Damage)
	require.ErrorIs(t, rep.Damage, ErrCorrupt)
	require.Contains(t, rep.Damage.Reason, "rejected")
	require.Equal(t, uint64(bad-1), rep.LastLSN)
	require.Equal(t, uint64(n), rep.HighestLost)
	want := make([]uint64, bad)
	for i := range want {
		want[i] = uint64(i + 1)
	}
	require.Equal(t, want, seen, "every entry once, in order, up to the rejected one")
	requireReopens(t, dir, bad-1)
}

// TestRepairResumes fails each change Repair makes in turn, then runs it
// again: whatever step failed, the second run (or Open, for what it judges
// a torn tail) completes the repair, the log holds exactly the entries
// before the damage, and every byte set aside is still somewhere.
func TestRepairResumes(t *testing.T) {
	const n = 40
	src, segs := repairLog(t, n)
	k := len(segs) / 2
	offs := frameOffsets(t, readFile(t, segs[k]))
	x := offs[len(offs)/2]
	flipBit(t, segs[k], x+frameHeaderSize+3)
	last := firstLSN(t, segs[k]) + uint64(len(offs)/2) - 1

	mutating := map[vfs.Op]bool{vfs.OpCreate: true, vfs.OpOpenAppend: true, vfs.OpWrite: true,
		vfs.OpSync: true, vfs.OpTruncate: true, vfs.OpRename: true, vfs.OpSyncDir: true}
	for fail := 1; ; fail++ {
		dir := t.TempDir()
		for name, b := range dirImage(t, src) {
			writeFileT(t, filepath.Join(dir, name), b)
		}
		count := 0
		fsys := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
			if !mutating[op] {
				return nil
			}
			count++
			if count == fail {
				return fmt.Errorf("%v %s: %w", op, name, vfs.ErrInjected)
			}
			return nil
		}}
		_, err := Repair(fsys, dir, RepairOptions{})
		if count < fail {
			require.NoError(t, err)
			require.Greater(t, fail, 5, "Repair made too few changes")
			break
		}
		require.ErrorIs(t, err, vfs.ErrInjected)

		rep, err := Repair(vfs.OS, dir, RepairOptions{})
		require.NoError(t, err, "after failing change %d", fail)
		require.Nil(t, rep.Torn)
		requireReopens(t, dir, last)
		// Every later segment survives whole under some name.
		img := dirImage(t, dir)
		for _, s := range segs[k+1:] {
			found := false
			for name, b := range img {
				if strings.HasPrefix(name, filepath.Base(s)+".") || strings.HasPrefix(name, filepath.Base(s)+"-") {
					found = found || bytes.Equal(b, readFile(t, filepath.Join(src, filepath.Base(s))))
				}
			}
			require.True(t, found, "after failing change %d, %s is lost", fail, s)
		}
	}
}

// TestRepairHighestLostIgnoresFramesInValues stores an entry that holds a
// frame image with a far-off LSN, damages its frame, and checks that the
// report's HighestLost comes from the real frames set aside, not from the
// image inside the damaged one.
func TestRepairHighestLostIgnoresFramesInValues(t *testing.T) {
	dir := t.TempDir()
	forged := appendFrame(nil, 1000, segmentHeaderSize, [][]byte{[]byte("forged")})
	es := entries(1, 7)
	es[2].Data = forged
	img := segmentImage(1, segmentHeaderSize, es[0:1], es[1:2], es[2:3], es[3:4], es[4:5])
	offs := frameOffsets(t, img)
	img[offs[2]+frameHeaderSize+1] ^= 0x01
	writeFileT(t, segPath(dir, 1), img)
	writeFileT(t, segPath(dir, 6), segmentImage(6, segmentHeaderSize, es[5:7]))

	rep, err := Repair(vfs.OS, dir, RepairOptions{})
	require.NoError(t, err)
	require.Equal(t, offs[2], rep.Damage.Offset)
	require.Equal(t, uint64(2), rep.LastLSN)
	require.Equal(t, uint64(7), rep.HighestLost)
	require.Equal(t, img[offs[2]:], readFile(t, rep.SetAside[0].SavedAs))
}

// snapRecords are the records of the snapshot at lsn in the snapshot tests
// of Repair: one, naming the LSN.
func snapRecords(lsn uint64) []rec { return []rec{{"lsn", fmt.Sprint(lsn)}} }

// snapLog is repairLog(t, 40), whose segments hold entries 4i+1 to 4i+4,
// with a snapshot at each of snaps, compacted up to compact if it is not 0.
func snapLog(t *testing.T, snaps []uint64, compact uint64) (string, []string) {
	t.Helper()
	dir, segs := repairLog(t, 40)
	for i, s := range segs {
		require.Equal(t, uint64(4*i+1), firstLSN(t, s), "the tests assume four entries a segment")
	}
	for _, lsn := range snaps {
		writeSnapshot(t, vfs.OS, dir, lsn, snapRecords(lsn))
	}
	if compact > 0 {
		_, _, err := CompactSegments(vfs.OS, dir, compact)
		require.NoError(t, err)
	}
	return dir, segs
}

// restorer is a RepairOptions.Restore and Options.Restore that accepts
// every snapshot whose records are those of snapRecords, but for those at
// the LSNs in refuse, and records the LSNs it is called with.
type restorer struct {
	refuse map[uint64]bool
	got    []uint64
}

func (r *restorer) restore(s *Snapshot) error {
	r.got = append(r.got, s.LSN)
	if r.refuse[s.LSN] {
		return fmt.Errorf("refused snapshot at LSN %d", s.LSN)
	}
	if got, want := records(s), snapRecords(s.LSN); !slices.Equal(got, want) {
		return fmt.Errorf("snapshot at LSN %d holds %v, want %v", s.LSN, got, want)
	}
	return nil
}

// validator returns a RepairOptions.Validate that accepts the entries of
// the test logs in LSN order from first, and the LSNs it was called with.
func validator(first uint64) (func(handoff.Entry) error, *[]uint64) {
	var seen []uint64
	return func(e handoff.Entry) error {
		seen = append(seen, e.LSN)
		if want := first + uint64(len(seen)) - 1; e.LSN != want {
			return fmt.Errorf("LSN %d, want %d", e.LSN, want)
		}
		if !bytes.Equal(e.Data, payload(e.LSN)) {
			return fmt.Errorf("LSN %d holds the wrong payload", e.LSN)
		}
		return nil
	}, &seen
}

// lsnRange returns the LSNs first..last.
func lsnRange(first, last uint64) []uint64 {
	var lsns []uint64
	for l := first; l <= last; l++ {
		lsns = append(lsns, l)
	}
	return lsns
}

// requireReopensFrom requires dir to open, restoring with r, from the
// snapshot at snap (0: none) and replaying exactly entries snap+1..last,
// with no torn tail, to take entries last+1..last+3 and to replay them too
// after a reopen.
func requireReopensFrom(t *testing.T, dir string, r *restorer, snap, last uint64) {
	t.Helper()
	opts := Options{SegmentSize: repairSegSize, SyncInterval: quiet, Restore: r.restore}
	j := open(t, vfs.OS, dir, opts)
	require.Equal(t, snap, j.rep.Snapshot.LSN)
	requireEntries(t, snap+1, last, j.replayed)
	require.Nil(t, j.rep.Torn)
	require.Equal(t, last, j.rep.LastLSN)
	require.NoError(t, put(t, j.Journal, last+1, last+3, true))
	require.NoError(t, j.Close())
	j = open(t, vfs.OS, dir, opts)
	require.Equal(t, snap, j.rep.Snapshot.LSN)
	requireEntries(t, snap+1, last+3, j.replayed)
	require.NoError(t, j.Close())
}

// repairTwice runs a dry run of Repair on dir, requires it to change
// nothing, then runs Repair and requires the dry run to have told what it
// did. It returns Repair's report and error.
func repairTwice(t *testing.T, dir string, opts func() RepairOptions) (RepairReport, error) {
	t.Helper()
	before := dirImage(t, dir)
	o := opts()
	o.DryRun = true
	dry, dryErr := Repair(vfs.OS, dir, o)
	require.Equal(t, before, dirImage(t, dir), "a dry run changes nothing")
	rep, err := Repair(vfs.OS, dir, opts())
	require.True(t, dry.DryRun)
	require.False(t, rep.DryRun)
	dry.DryRun = false
	require.Equal(t, rep, dry, "the dry run tells what Repair does")
	if err == nil {
		require.NoError(t, dryErr)
	}
	return rep, err
}

// snapCheck is the SnapshotCheck of a sound snapshot of the test logs.
func snapCheck(t *testing.T, dir string, lsn uint64) SnapshotCheck {
	t.Helper()
	path := filepath.Join(dir, snapshotName(lsn))
	return SnapshotCheck{SnapshotFile: SnapshotFile{Path: path, LSN: lsn}, Count: 1, Size: int64(len(readFile(t, path)))}
}

// TestRepairCompactedLog checks that a log compacted after a snapshot, so
// that its first segment starts after LSN 1, is sound to Repair, which
// leaves it as it is, when snapshots count; and that without them it is
// what it is to Open: a log whose beginning is missing.
func TestRepairCompactedLog(t *testing.T) {
	t.Run("snapshot in a segment", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{18}, 18)
		require.Equal(t, segPath(dir, 17), segments(t, dir)[0])
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			r := &restorer{}
			val, seen := validator(19)
			rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun, Validate: val, Restore: r.restore})
			require.NoError(t, err)
			require.Equal(t, RepairReport{DryRun: dryRun, Segments: 6, Entries: 24, FirstLSN: 17, LastLSN: 40,
				Snapshots: []SnapshotCheck{snapCheck(t, dir, 18)},
				Restored:  SnapshotFile{Path: filepath.Join(dir, snapshotName(18)), LSN: 18}}, rep)
			require.Equal(t, []uint64{18}, r.got)
			require.Equal(t, lsnRange(19, 40), *seen, "only the entries after the snapshot are validated")
			require.Equal(t, before, dirImage(t, dir))
		}
		requireReopensFrom(t, dir, &restorer{}, 18, 40)

		// Without snapshots, the log's beginning is missing.
		rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: true})
		require.NoError(t, err)
		require.ErrorIs(t, rep.Unrepairable, ErrCorrupt)
		require.ErrorContains(t, rep.Unrepairable, "missing")
		require.Equal(t, segPath(dir, 17), rep.Damage.File)
	})
	t.Run("only a header after the snapshot", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{40}, 0)
		writeFileT(t, segPath(dir, 41), appendSegmentHeader(nil, 41))
		_, _, err := CompactSegments(vfs.OS, dir, 40)
		require.NoError(t, err)
		require.Equal(t, []string{segPath(dir, 41)}, segments(t, dir))
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			val, seen := validator(41)
			rep, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun, Validate: val, Restore: (&restorer{}).restore})
			require.NoError(t, err)
			require.Equal(t, RepairReport{DryRun: dryRun, Segments: 1, FirstLSN: 41, LastLSN: 40,
				Snapshots: []SnapshotCheck{snapCheck(t, dir, 40)},
				Restored:  SnapshotFile{Path: filepath.Join(dir, snapshotName(40)), LSN: 40}}, rep)
			require.Empty(t, *seen)
			require.Equal(t, before, dirImage(t, dir))
		}
		requireReopensFrom(t, dir, &restorer{}, 40, 40)
	})
}

// TestRepairCompactedDamage damages a compacted log (snapshot at 18, the
// log from 17 on) at several places: after the snapshot, Repair cuts at
// the damage as usual; before it, in the segment that also holds the
// entries after it, cutting would leave a log that ends before the
// snapshot, so every segment is set aside and the store restarts from the
// snapshot.
func TestRepairCompactedDamage(t *testing.T) {
	tests := []struct {
		name  string
		seg   uint64 // first LSN of the damaged segment
		frame int    // index of the damaged frame in it
		last  uint64 // last LSN kept
		all   bool   // every segment set aside
	}{
		{"after the snapshot", 25, 1, 25, false},
		{"just after the snapshot", 17, 2, 18, false},
		{"at the snapshot", 17, 1, 18, true},
		{"before the snapshot", 17, 0, 18, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := snapLog(t, []uint64{18}, 18)
			seg := segPath(dir, tt.seg)
			orig := readFile(t, seg)
			x := frameOffsets(t, orig)[tt.frame]
			flipBit(t, seg, x+frameHeaderSize+3)
			_, err := tryOpen(vfs.OS, dir, Options{Restore: (&restorer{}).restore})
			require.ErrorIs(t, err, ErrCorrupt)
			kept := segments(t, dir)
			images := map[string][]byte{}
			for _, s := range kept {
				images[s] = readFile(t, s)
			}

			var seens []*[]uint64
			rep, err := repairTwice(t, dir, func() RepairOptions {
				val, seen := validator(19)
				seens = append(seens, seen)
				return RepairOptions{Validate: val, Restore: (&restorer{}).restore}
			})
			require.NoError(t, err)
			require.Equal(t, seg, rep.Damage.File)
			require.Equal(t, x, rep.Damage.Offset)
			require.Equal(t, tt.last, rep.LastLSN)
			require.Equal(t, uint64(40), rep.HighestLost)
			require.Equal(t, uint64(18), rep.Restored.LSN)
			var want []SetAside
			if tt.all {
				require.Zero(t, rep.Segments)
				require.Zero(t, rep.Entries)
				require.Zero(t, rep.FirstLSN)
				for _, s := range kept[1:] {
					want = append(want, SetAside{File: s, Bytes: int64(len(images[s])), SavedAs: s + ".corrupt"})
				}
				want = append(want, SetAside{File: seg, Bytes: int64(len(orig)), SavedAs: seg + ".0.corrupt"})
				require.Empty(t, segments(t, dir))
			} else {
				require.Equal(t, uint64(17), rep.FirstLSN)
				require.Equal(t, tt.last-16, rep.Entries)
				want = append(want, SetAside{File: seg, Offset: x, Bytes: int64(len(orig)) - x,
					SavedAs: fmt.Sprintf("%s.%d.corrupt", seg, x)})
				for _, s := range kept {
					if s > seg {
						want = append(want, SetAside{File: s, Bytes: int64(len(images[s])), SavedAs: s + ".corrupt"})
					}
				}
			}
			require.Equal(t, want, rep.SetAside)
			var total int64
			for _, a := range want {
				total += a.Bytes
				if a.Offset == 0 {
					require.Equal(t, images[a.File], readFile(t, a.SavedAs))
				}
			}
			require.Equal(t, total, rep.Bytes)

			requireReopensFrom(t, dir, &restorer{}, 18, tt.last)
			again, err := Repair(vfs.OS, dir, RepairOptions{Restore: (&restorer{}).restore})
			require.NoError(t, err)
			require.Nil(t, again.Damage)
			require.Len(t, seens, 2)
			for _, seen := range seens {
				require.Equal(t, lsnRange(19, tt.last), *seen, "every entry after the snapshot up to the damage, once")
			}
		})
	}
}

// TestRepairDamageCoveredBySnapshot damages a segment that a snapshot
// covers in full (snapshot at 18, damage in the segment of 9..12, the log
// not compacted): Repair sets it and the segments before it aside and keeps
// the rest, losing nothing; then, in a second pass (simulated by the dry
// run), it cuts a second damage after the snapshot as usual.
func TestRepairDamageCoveredBySnapshot(t *testing.T) {
	for _, second := range []bool{false, true} {
		t.Run(fmt.Sprintf("second damage %v", second), func(t *testing.T) {
			dir, segs := snapLog(t, []uint64{18}, 0)
			images := map[string][]byte{}
			for _, s := range segs {
				images[s] = readFile(t, s)
			}
			x := frameOffsets(t, images[segs[2]])[2] // LSN 11
			flipBit(t, segs[2], x+frameHeaderSize+3)
			damaged := readFile(t, segs[2])
			last := uint64(40)
			var y int64
			if second {
				y = frameOffsets(t, images[segs[7]])[1] // LSN 30
				flipBit(t, segs[7], y+frameHeaderSize+3)
				last = 29
			}
			_, err := tryOpen(vfs.OS, dir, Options{Restore: (&restorer{}).restore})
			require.ErrorIs(t, err, ErrCorrupt)

			var seens []*[]uint64
			rep, err := repairTwice(t, dir, func() RepairOptions {
				val, seen := validator(19)
				seens = append(seens, seen)
				return RepairOptions{Validate: val, Restore: (&restorer{}).restore}
			})
			require.NoError(t, err)
			require.Equal(t, &CorruptError{File: segs[2], Offset: x, Reason: rep.Damage.Reason}, rep.Damage)
			want := []SetAside{
				{File: segs[0], Bytes: int64(len(images[segs[0]])), SavedAs: segs[0] + ".corrupt"},
				{File: segs[1], Bytes: int64(len(images[segs[1]])), SavedAs: segs[1] + ".corrupt"},
				{File: segs[2], Bytes: int64(len(damaged)), SavedAs: segs[2] + ".0.corrupt"},
			}
			if second {
				want = append(want, SetAside{File: segs[7], Offset: y, Bytes: int64(len(images[segs[7]])) - y,
					SavedAs: fmt.Sprintf("%s.%d.corrupt", segs[7], y)})
				for _, s := range segs[8:] {
					want = append(want, SetAside{File: s, Bytes: int64(len(images[s])), SavedAs: s + ".corrupt"})
				}
				require.Equal(t, uint64(40), rep.HighestLost)
				require.Equal(t, 5, rep.Segments)
			} else {
				require.Zero(t, rep.HighestLost, "nothing is lost")
				require.Equal(t, 7, rep.Segments)
			}
			require.Equal(t, want, rep.SetAside)
			require.Equal(t, uint64(13), rep.FirstLSN)
			require.Equal(t, last-12, rep.Entries)
			require.Equal(t, last, rep.LastLSN)
			require.Equal(t, damaged, readFile(t, segs[2]+".0.corrupt"))
			for _, s := range segs[:2] {
				require.Equal(t, images[s], readFile(t, s+".corrupt"))
			}
			require.Len(t, seens, 2)
			for _, seen := range seens {
				require.Equal(t, lsnRange(19, last), *seen, "every entry after the snapshot up to the damage, once")
			}
			requireReopensFrom(t, dir, &restorer{}, 18, last)
		})
	}
}

// TestRepairLogEndsBeforeSnapshot removes the newest segment of a log with
// a snapshot of all of it: the log no longer reaches the snapshot, and Open
// refuses it. The snapshot holds all the log held, so Repair sets every
// segment aside and the store restarts from the snapshot.
func TestRepairLogEndsBeforeSnapshot(t *testing.T) {
	dir, segs := snapLog(t, []uint64{40}, 0)
	newest := segs[len(segs)-1]
	require.NoError(t, os.Remove(newest))
	_, err := tryOpen(vfs.OS, dir, Options{Restore: (&restorer{}).restore})
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, "ends at LSN 36")
	images := map[string][]byte{}
	for _, s := range segs[:len(segs)-1] {
		images[s] = readFile(t, s)
	}

	rep, err := repairTwice(t, dir, func() RepairOptions { return RepairOptions{Restore: (&restorer{}).restore} })
	require.NoError(t, err)
	require.Equal(t, segs[len(segs)-2], rep.Damage.File)
	require.Contains(t, rep.Damage.Reason, "the log ends at LSN 36, before 41")
	require.Len(t, rep.SetAside, len(segs)-1)
	for i, s := range segs[:len(segs)-1] {
		require.Equal(t, SetAside{File: s, Bytes: int64(len(images[s])), SavedAs: s + ".corrupt"}, rep.SetAside[i])
		require.Equal(t, images[s], readFile(t, s+".corrupt"))
	}
	require.Zero(t, rep.Segments)
	require.Zero(t, rep.HighestLost)
	require.Equal(t, uint64(40), rep.LastLSN)
	requireReopensFrom(t, dir, &restorer{}, 40, 40)
}

// TestRepairSnapshots checks what Repair does about snapshots that fail:
// one that fails its checks is reported and left, whether Open can do
// without it or not; one that passes them but that Restore refuses is set
// aside if the log reaches back to what Open restores instead, and the
// directory is left as it is, and reported unrepairable, if it does not;
// one of a newer format makes Repair fail if Open would read it.
func TestRepairSnapshots(t *testing.T) {
	damage := func(t *testing.T, dir string, lsn uint64) {
		path := filepath.Join(dir, snapshotName(lsn))
		flipBit(t, path, snapshotHeaderSize+2)
		_, err := readSnapshot(vfs.OS, path)
		require.ErrorIs(t, err, ErrCorrupt)
	}
	snapPath := func(dir string, lsn uint64) string { return filepath.Join(dir, snapshotName(lsn)) }

	t.Run("corrupt newest passed over", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 10)
		damage(t, dir, 30)
		before := dirImage(t, dir)
		rep, err := repairTwice(t, dir, func() RepairOptions { return RepairOptions{Restore: (&restorer{}).restore} })
		require.NoError(t, err)
		require.Nil(t, rep.Damage)
		require.Nil(t, rep.Unrepairable)
		require.Empty(t, rep.SnapshotsSetAside)
		require.Equal(t, SnapshotFile{Path: snapPath(dir, 10), LSN: 10}, rep.Restored)
		require.Len(t, rep.Snapshots, 2)
		require.Equal(t, snapCheck(t, dir, 10), rep.Snapshots[0])
		bad := rep.Snapshots[1]
		require.Equal(t, SnapshotFile{Path: snapPath(dir, 30), LSN: 30}, bad.SnapshotFile)
		require.Zero(t, bad.Count)
		require.Equal(t, int64(len(readFile(t, bad.Path))), bad.Size)
		requireCorruptSnapshot(t, bad.Err, bad.Path, int(bad.Size))
		require.Nil(t, bad.RestoreErr)
		require.Equal(t, uint64(9), rep.FirstLSN)
		require.Equal(t, uint64(40), rep.LastLSN)
		require.Equal(t, before, dirImage(t, dir))
		requireReopensFrom(t, dir, &restorer{}, 10, 40)
	})
	t.Run("corrupt newest the log was compacted after", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 30)
		damage(t, dir, 30)
		_, err := tryOpen(vfs.OS, dir, Options{Restore: (&restorer{}).restore})
		require.ErrorIs(t, err, ErrCorrupt)
		before := dirImage(t, dir)
		rep, err := repairTwice(t, dir, func() RepairOptions { return RepairOptions{Restore: (&restorer{}).restore} })
		require.ErrorIs(t, err, ErrCorrupt)
		require.Equal(t, rep.Unrepairable, err)
		require.ErrorContains(t, err, "the records 11 to 28 are missing")
		require.ErrorContains(t, err, snapshotName(30)+", at LSN 30, is unusable")
		require.Equal(t, segPath(dir, 29), rep.Damage.File)
		require.Contains(t, rep.Damage.Reason, "gap: the log starts at LSN 29, after 11")
		require.Equal(t, uint64(29), rep.FirstLSN)
		require.Equal(t, uint64(10), rep.Restored.LSN)
		require.Empty(t, rep.SetAside)
		require.Empty(t, rep.SnapshotsSetAside)
		require.Equal(t, before, dirImage(t, dir))

		dry, err := Repair(vfs.OS, dir, RepairOptions{DryRun: true, Restore: (&restorer{}).restore})
		require.NoError(t, err, "a dry run reports it")
		require.Equal(t, rep.Unrepairable, dry.Unrepairable)
	})
	t.Run("refused newest set aside", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 10)
		refuse := map[uint64]bool{30: true}
		_, err := tryOpen(vfs.OS, dir, Options{Restore: (&restorer{refuse: refuse}).restore})
		require.ErrorIs(t, err, ErrCorrupt)
		image := readFile(t, snapPath(dir, 30))
		writeFileT(t, snapPath(dir, 30)+".corrupt", []byte("earlier"))
		var rs []*restorer
		var seens []*[]uint64
		rep, err := repairTwice(t, dir, func() RepairOptions {
			r := &restorer{refuse: refuse}
			val, seen := validator(11)
			rs, seens = append(rs, r), append(seens, seen)
			return RepairOptions{Restore: r.restore, Validate: val}
		})
		require.NoError(t, err)
		for i := range rs {
			require.Equal(t, []uint64{30, 10}, rs[i].got)
			require.Equal(t, lsnRange(11, 40), *seens[i])
		}
		require.Equal(t, snapPath(dir, 30), rep.Damage.File)
		require.Contains(t, rep.Damage.Error(), "refused snapshot at LSN 30")
		require.Equal(t, rep.Damage, rep.Snapshots[1].RestoreErr)
		require.NoError(t, rep.Snapshots[1].Err)
		require.Equal(t, []SetAside{{File: snapPath(dir, 30), Bytes: int64(len(image)), SavedAs: snapPath(dir, 30) + "-1.corrupt"}},
			rep.SnapshotsSetAside)
		require.Empty(t, rep.SetAside)
		require.Equal(t, uint64(10), rep.Restored.LSN)
		require.Equal(t, uint64(40), rep.LastLSN)
		require.Equal(t, image, readFile(t, snapPath(dir, 30)+"-1.corrupt"))
		require.Equal(t, []byte("earlier"), readFile(t, snapPath(dir, 30)+".corrupt"))
		require.NoFileExists(t, snapPath(dir, 30))
		requireReopensFrom(t, dir, &restorer{refuse: refuse}, 10, 40)
	})
	t.Run("refused newest, no older one", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{30}, 0)
		refuse := map[uint64]bool{30: true}
		rep, err := repairTwice(t, dir, func() RepairOptions { return RepairOptions{Restore: (&restorer{refuse: refuse}).restore} })
		require.NoError(t, err)
		require.Len(t, rep.SnapshotsSetAside, 1)
		require.Zero(t, rep.Restored)
		requireReopensFrom(t, dir, &restorer{refuse: refuse}, 0, 40)
	})
	t.Run("refused newest the log was compacted after", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 30)
		refuse := map[uint64]bool{30: true}
		before := dirImage(t, dir)
		rep, err := repairTwice(t, dir, func() RepairOptions { return RepairOptions{Restore: (&restorer{refuse: refuse}).restore} })
		require.ErrorIs(t, err, ErrCorrupt)
		require.ErrorContains(t, err, "cannot repair")
		require.ErrorContains(t, err, "refused snapshot at LSN 30")
		require.Equal(t, snapPath(dir, 30), rep.Damage.File, "Open fails on the snapshot first")
		require.Empty(t, rep.SnapshotsSetAside)
		require.Equal(t, before, dirImage(t, dir))
	})
	newer := func(t *testing.T, dir string, lsn uint64) {
		b := readFile(t, snapPath(dir, lsn))
		le.PutUint32(b[8:12], snapshotVersion+1)
		le.PutUint32(b[32:36], checksum(b[:32]))
		writeFileT(t, snapPath(dir, lsn), b)
	}
	t.Run("newer version", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 10)
		newer(t, dir, 30)
		before := dirImage(t, dir)
		for _, dryRun := range []bool{true, false} {
			_, err := Repair(vfs.OS, dir, RepairOptions{DryRun: dryRun, Restore: (&restorer{}).restore})
			require.ErrorIs(t, err, ErrVersion)
		}
		require.Equal(t, before, dirImage(t, dir))
	})
	t.Run("newer version never read", func(t *testing.T) {
		dir, _ := snapLog(t, []uint64{10, 30}, 10)
		newer(t, dir, 10)
		rep, err := Repair(vfs.OS, dir, RepairOptions{Restore: (&restorer{}).restore})
		require.NoError(t, err)
		require.Nil(t, rep.Damage)
		require.ErrorIs(t, rep.Snapshots[0].Err, ErrVersion)
		require.Equal(t, uint64(30), rep.Restored.LSN)
	})
}

// TestRepairResumesWithSnapshots fails each change Repair makes in turn,
// when it sets aside a refused snapshot and segments the snapshot covers,
// or every segment, then runs it again: whatever step failed, the second
// run completes the repair, the store opens from the snapshot, and every
// file Repair moved is still there whole, under some name.
func TestRepairResumesWithSnapshots(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string, segs []string)
		last   uint64
	}{
		{"covered segments", func(t *testing.T, dir string, segs []string) {
			flipBit(t, segs[2], segmentHeaderSize+frameHeaderSize+3)
		}, 40},
		{"every segment", func(t *testing.T, dir string, segs []string) {
			flipBit(t, segs[4], segmentHeaderSize+frameHeaderSize+3)
		}, 18},
	}
	mutating := map[vfs.Op]bool{vfs.OpCreate: true, vfs.OpOpenAppend: true, vfs.OpWrite: true,
		vfs.OpSync: true, vfs.OpTruncate: true, vfs.OpRename: true, vfs.OpSyncDir: true}
	refuse := map[uint64]bool{30: true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, segs := snapLog(t, []uint64{18, 30}, 0)
			tt.damage(t, src, segs)
			orig := dirImage(t, src)
			for fail := 1; ; fail++ {
				dir := t.TempDir()
				for name, b := range orig {
					writeFileT(t, filepath.Join(dir, name), b)
				}
				count := 0
				fsys := &vfs.Faulty{FS: vfs.OS, Inject: func(op vfs.Op, name string) error {
					if !mutating[op] {
						return nil
					}
					count++
					if count == fail {
						return fmt.Errorf("%v %s: %w", op, name, vfs.ErrInjected)
					}
					return nil
				}}
				_, err := Repair(fsys, dir, RepairOptions{Restore: (&restorer{refuse: refuse}).restore})
				if count < fail {
					require.NoError(t, err)
					require.Greater(t, fail, 3, "Repair made too few changes")
					break
				}
				require.ErrorIs(t, err, vfs.ErrInjected)

				rep, err := Repair(vfs.OS, dir, RepairOptions{Restore: (&restorer{refuse: refuse}).restore})
				require.NoError(t, err, "after failing change %d", fail)
				require.Equal(t, uint64(18), rep.Restored.LSN)
				requireReopensFrom(t, dir, &restorer{refuse: refuse}, 18, tt.last)
				img := dirImage(t, dir)
				for name, b := range orig {
					found := false
					for got, gb := range img {
						found = found || strings.HasPrefix(got, name) && bytes.Equal(b, gb)
					}
					// The newest segment is kept, and written to, when
					// only covered segments are set aside.
					appended := tt.last == 40 && name == filepath.Base(segs[len(segs)-1])
					// So is the clean-close marker, which each clean
					// Close (and Repair, once the log is cut) moves on.
					_, marker := parseClosedName(name)
					require.True(t, found || appended || marker, "after failing change %d, %s is lost", fail, name)
				}
			}
		})
	}
}

// TestPruneDir checks that PruneDir prunes like PruneSnapshots under the
// directory lock, and refuses to remove the snapshot Open would restore.
func TestPruneDir(t *testing.T) {
	dir, _ := snapLog(t, []uint64{10, 20, 30}, 0)
	j := open(t, vfs.OS, dir, Options{})
	_, err := PruneDir(vfs.OS, dir, 1)
	require.ErrorIs(t, err, ErrLocked)
	require.NoError(t, j.Close())
	_, err = PruneDir(vfs.OS, dir, 0)
	require.Error(t, err)
	_, err = PruneDir(vfs.OS, filepath.Join(dir, lockName), 1)
	require.ErrorIs(t, err, syscall.ENOTDIR)

	flipBit(t, filepath.Join(dir, snapshotName(30)), snapshotHeaderSize+1)
	flipBit(t, filepath.Join(dir, snapshotName(20)), snapshotHeaderSize+1)
	before := dirImage(t, dir)
	removed, err := PruneDir(vfs.OS, dir, 2)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorContains(t, err, snapshotName(30))
	require.ErrorContains(t, err, snapshotName(20))
	require.Empty(t, removed)
	require.Equal(t, before, dirImage(t, dir), "nothing is removed")

	removed, err = PruneDir(vfs.OS, dir, 3)
	require.NoError(t, err)
	require.Empty(t, removed)
	writeSnapshot(t, vfs.OS, dir, 40, snapRecords(40))
	removed, err = PruneDir(vfs.OS, dir, 2)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, snapshotName(10)), filepath.Join(dir, snapshotName(20))}, removed)
	snaps, err := listSnapshots(vfs.OS, dir)
	require.NoError(t, err)
	require.Equal(t, []SnapshotFile{{Path: filepath.Join(dir, snapshotName(30)), LSN: 30},
		{Path: filepath.Join(dir, snapshotName(40)), LSN: 40}}, snaps)
}
