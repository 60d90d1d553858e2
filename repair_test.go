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

	"github.com/hurrahdb/hurrah/journal"
)

// repairOpts writes every record in its own fsynced frame, into segments of
// the smallest size, so that a store of a hundred records spans several.
var repairOpts = Options{Durability: Synced, SegmentSize: MinSegmentSize}

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
	ctx := t.Context()
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
		rs.states = append(rs.states, maps.Clone(m))
	}
	require.NoError(t, db.Close())
	rs.n = len(rs.states) - 1
	rs.segs = repairSegments(t, rs.dir)
	require.GreaterOrEqual(t, len(rs.segs), 4, "the test needs several segments")
	return rs
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
	b := repairRead(t, seg)
	for off := journal.HeaderSize; off < len(b); {
		f, n, err := journal.DecodeFrame(b[off:])
		require.NoError(t, err)
		offs, lsns = append(offs, int64(off)), append(lsns, f.FirstLSN)
		off += n
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
			b[x+journal.FrameHeaderSize+5] ^= 0x01
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
	b[offs[1]+journal.FrameHeaderSize] ^= 0x01
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
	fr, _, err := journal.DecodeFrame(b[offs[f]:])
	require.NoError(t, err)
	img := append([]byte(nil), b[:offs[f]]...)
	img = journal.AppendFrame(img, fr.FirstLSN, fr.Synced, [][]byte{[]byte("not a command")})
	for _, off := range offs[f+1:] {
		fr, _, err := journal.DecodeFrame(b[off:])
		require.NoError(t, err)
		img = journal.AppendFrame(img, fr.FirstLSN, fr.Synced, fr.Entries)
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
