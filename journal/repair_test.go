package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/batch"
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
				flipBit(t, seg, x+FrameHeaderSize+3)
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
			require.Equal(t, RepairReport{DryRun: dryRun, Segments: len(segs), Entries: n, LastLSN: n}, rep)
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
		require.Equal(t, &Torn{File: seg, Offset: int64(len(orig)), Bytes: int64(len("half a frame"))}, rep.Torn)
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
		writeFileT(t, seg, AppendSegmentHeader(nil, n+1)[:HeaderSize/2])
		before := dirImage(t, dir)
		rep, err := Repair(vfs.OS, dir, RepairOptions{})
		require.NoError(t, err)
		require.Equal(t, RepairReport{Segments: len(segs), Entries: n, LastLSN: n,
			Torn: &Torn{File: seg, Bytes: HeaderSize / 2}}, rep)
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
		flipBit(t, segs[1], HeaderSize+FrameHeaderSize+3)
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
		le.PutUint32(b[8:12], Version+1)
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
		flipBit(t, segs[1], HeaderSize+FrameHeaderSize+3)
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
	flipBit(t, segs[k], x+FrameHeaderSize+3)
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
	validate := func(e batch.Entry) error {
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
	flipBit(t, segs[k], x+FrameHeaderSize+3)
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
	forged := AppendFrame(nil, 1000, HeaderSize, [][]byte{[]byte("forged")})
	es := entries(1, 7)
	es[2].Data = forged
	img := segmentImage(1, HeaderSize, es[0:1], es[1:2], es[2:3], es[3:4], es[4:5])
	offs := frameOffsets(t, img)
	img[offs[2]+FrameHeaderSize+1] ^= 0x01
	writeFileT(t, segPath(dir, 1), img)
	writeFileT(t, segPath(dir, 6), segmentImage(6, HeaderSize, es[5:7]))

	rep, err := Repair(vfs.OS, dir, RepairOptions{})
	require.NoError(t, err)
	require.Equal(t, offs[2], rep.Damage.Offset)
	require.Equal(t, uint64(2), rep.LastLSN)
	require.Equal(t, uint64(7), rep.HighestLost)
	require.Equal(t, img[offs[2]:], readFile(t, rep.SetAside[0].SavedAs))
}
