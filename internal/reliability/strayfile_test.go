package reliability

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Stray files and files of the wrong type in a crash image. An operator's
// copy, an editor, a backup tool or an earlier version of the store can
// leave things in a store's directory that no crash of the store makes:
// unrelated files, leftover temp, torn and corrupt files, directories and
// symbolic links named like segments or snapshots. Open must then either
// restore everything that was promised, or refuse with a typed error
// (ErrCorrupt, ErrBadDir) and leave the directory as it was, so that once
// the stray is gone the store opens whole. It must never drop promised
// writes silently, and never panic or hang.

// stray is one thing put into a store's directory before it is reopened.
type stray struct {
	name string
	// put places the stray in dir, whose segments start at the LSNs segs
	// (oldest first; possibly none), and returns the path that removing
	// undoes it.
	put func(t *testing.T, dir string, segs []uint64) string
}

// segName and snapFile are the names the journal gives a segment and a
// snapshot starting at, or holding the log through, lsn.
func segName(lsn uint64) string  { return fmt.Sprintf("%020d.wal", lsn) }
func snapFile(lsn uint64) string { return fmt.Sprintf("snap-%020d.hsnap", lsn) }

// newest returns the LSN of the newest segment, or 1 if there is none.
func newest(segs []uint64) uint64 {
	if len(segs) == 0 {
		return 1
	}
	return segs[len(segs)-1]
}

// between returns an LSN strictly between two segments' names that no
// segment has, or one past the newest.
func between(segs []uint64) uint64 {
	for i := 1; i < len(segs); i++ {
		if segs[i]-segs[i-1] > 1 {
			return segs[i-1] + 1
		}
	}
	return newest(segs) + 1
}

// writeStray writes garbage to dir/name and returns its path.
func writeStray(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte("not a store's file\x00\xff\x13garbage"), 0o644))
	return p
}

// mkdirStray makes dir/name a directory holding one file (so that Remove
// alone cannot take it away) and returns its path.
func mkdirStray(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.Mkdir(p, 0o755))
	writeStray(t, p, "inside")
	return p
}

// symlinkStray makes dir/name a symbolic link to target and returns its
// path.
func symlinkStray(t *testing.T, dir, name, target string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.Symlink(target, p))
	return p
}

var strays = []stray{
	{name: "unrelated file", put: func(t *testing.T, dir string, _ []uint64) string {
		return writeStray(t, dir, "notes.txt")
	}},
	{name: "hidden file", put: func(t *testing.T, dir string, _ []uint64) string {
		return writeStray(t, dir, ".DS_Store")
	}},
	{name: "unrelated .tmp", put: func(t *testing.T, dir string, _ []uint64) string {
		return writeStray(t, dir, "copy.tmp")
	}},
	{name: "snapshot temp file", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, snapFile(newest(segs)+7)+".tmp")
	}},
	{name: ".torn file", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, segName(newest(segs))+".17.torn")
	}},
	{name: ".corrupt file", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, segName(newest(segs))+".corrupt")
	}},
	{name: "segment name with a suffix", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, segName(newest(segs)+1)+".bak")
	}},
	{name: "short segment-like name", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, strconv.FormatUint(newest(segs)+1, 10)+".wal")
	}},
	{name: "empty file named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		p := filepath.Join(dir, segName(newest(segs)+1000))
		require.NoError(t, os.WriteFile(p, nil, 0o644))
		return p
	}},
	{name: "garbage named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, segName(newest(segs)+1000))
	}},
	{name: "garbage named like a newer snapshot", put: func(t *testing.T, dir string, segs []uint64) string {
		return writeStray(t, dir, snapFile(newest(segs)+1000))
	}},
	{name: "directory named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		return mkdirStray(t, dir, segName(newest(segs)+1000))
	}},
	{name: "directory named like a segment between two", put: func(t *testing.T, dir string, segs []uint64) string {
		return mkdirStray(t, dir, segName(between(segs)))
	}},
	{name: "directory named like a newer snapshot", put: func(t *testing.T, dir string, segs []uint64) string {
		return mkdirStray(t, dir, snapFile(newest(segs)+1000))
	}},
	{name: "directory named like a snapshot temp file", put: func(t *testing.T, dir string, segs []uint64) string {
		return mkdirStray(t, dir, snapFile(newest(segs)+7)+".tmp")
	}},
	{name: "directory where LOCK should be", put: func(t *testing.T, dir string, _ []uint64) string {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "LOCK")))
		return mkdirStray(t, dir, "LOCK")
	}},
	{name: "unrelated directory", put: func(t *testing.T, dir string, _ []uint64) string {
		return mkdirStray(t, dir, "backup")
	}},
	{name: "dangling symlink named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		return symlinkStray(t, dir, segName(newest(segs)+1000), filepath.Join(dir, "nowhere"))
	}},
	{name: "symlink to a directory named like a newer snapshot", put: func(t *testing.T, dir string, segs []uint64) string {
		return symlinkStray(t, dir, snapFile(newest(segs)+1000), t.TempDir())
	}},
	{name: "symlink to garbage named like the next segment", put: func(t *testing.T, dir string, segs []uint64) string {
		return symlinkStray(t, dir, segName(newest(segs)+1000), writeStray(t, t.TempDir(), "elsewhere"))
	}},
	{name: "unrelated symlink", put: func(t *testing.T, dir string, _ []uint64) string {
		return symlinkStray(t, dir, "parent", filepath.Dir(dir))
	}},
}

// strayImage is a crash image of a plan, and what a reopen must restore.
type strayImage struct {
	img    *vfs.Mem
	lo, hi int64 // the operations promised, and those begun
	where  string
}

// TestStrayFiles takes crash images of a workload (the power cut at points
// spread over a run, keeping only synced data, and the store closed
// cleanly), writes each to a real directory, puts one stray in it (see
// strays), and reopens it on the OS file system. Open must restore the
// state after a prefix of the workload holding every promised write, and
// then take a write and keep it across a clean reopen, stray and all; or
// refuse with ErrCorrupt or ErrBadDir, and open to that same state once the
// stray is removed.
func TestStrayFiles(t *testing.T) {
	images := 4
	if harnessLong() {
		images = 16
	}
	outcomes := map[string]map[string]int{} // stray -> outcome -> count
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written} {
		p := crashPlan(level, uint64(level)+20, 30)
		ops := countOps(t, p, level)
		var imgs []strayImage
		for k := 1; k < images; k++ {
			at := ops * k / images
			c := runCut(p, level, at, vfs.CrashOptions{})
			require.NotNil(t, c.img, "the run made fewer than %d file operations", at)
			imgs = append(imgs, strayImage{img: c.img, lo: c.durable, hi: c.issued,
				where: fmt.Sprintf("%v, a power cut before file operation %d, %s", level, at, c.cut)})
		}
		m := vfs.NewMem()
		r := runPlan(p, m, level, &progress{})
		require.NoError(t, r.err, r.call)
		n := int64(len(p.ops))
		imgs = append(imgs, strayImage{img: m.Crash(vfs.CrashOptions{}), lo: n, hi: n, where: fmt.Sprintf("%v, closed cleanly", level)})
		for _, im := range imgs {
			for _, s := range strays {
				if outcomes[s.name] == nil {
					outcomes[s.name] = map[string]int{}
				}
				outcomes[s.name][strayCase(t, p, im, s)]++
			}
		}
	}
	if !t.Failed() {
		cases, refused := 0, 0
		for _, name := range slices.Sorted(maps.Keys(outcomes)) {
			o := outcomes[name]
			t.Logf("%s: %v", name, o)
			cases += o["restored"] + o["refused"]
			refused += o["refused"]
		}
		t.Logf("figure: stray files: %d reopens (crash images x %d kinds of stray), each restored every promised write or refused with ErrCorrupt or ErrBadDir (%d), and then opened whole without the stray; 0 promised writes lost",
			cases, len(outcomes), refused)
	}
}

// strayCase reopens im with the stray s in it, checks it, and returns the
// outcome: "restored", or "refused" with a typed error.
func strayCase(t *testing.T, p plan, im strayImage, s stray) string {
	t.Helper()
	dir := exportImage(t, im.img)
	segs := memSegments(t, im.img)
	undo := s.put(t, dir, segs)
	where := fmt.Sprintf("%s, with a stray: %s (%s)", im.where, s.name, filepath.Base(undo))

	db, err := openBounded(t, dir, undo, where)
	if err == nil {
		// Restored: every promised write is there, and the store works.
		n := requireMatch(t, p, storeContents(t, db), im.lo, im.hi, where)
		ctx := context.Background()
		require.NoError(t, db.SetBytes(ctx, "after-stray", []byte(where)), where)
		require.NoError(t, db.Close(), where)
		db, err = openBounded(t, dir, undo, where+", reopened")
		require.NoError(t, err, "%s: a store that opened once must open again", where)
		want := p.state(n)
		want["after-stray"] = where
		require.Equal(t, want, storeContents(t, db), where)
		require.NoError(t, db.Close(), where)
		return "restored"
	}
	if !errors.Is(err, hurrah.ErrCorrupt) && !errors.Is(err, hurrah.ErrBadDir) {
		require.Failf(t, "refused with an untyped error", "%s: %v", where, err)
	}
	// The refusal left the store as it was: without the stray, all of it
	// comes back.
	require.NoError(t, os.RemoveAll(undo), where)
	refusal := err
	db, err = openBounded(t, dir, undo, where+", the stray removed")
	require.NoError(t, err, "%s: refused (%v); without the stray the store must open", where, refusal)
	requireMatch(t, p, storeContents(t, db), im.lo, im.hi, where+", the stray removed")
	require.NoError(t, db.Close(), where)
	return "refused"
}

// openBounded opens dir on the OS file system, failing the test if Open
// takes longer than bound: a FIFO read as a segment would block it, so
// then it opens the FIFO stray for writing, which lets the read end, to
// leave no goroutine behind.
func openBounded(t *testing.T, dir, stray, where string) (*hurrah.DB, error) {
	t.Helper()
	type result struct {
		db  *hurrah.DB
		err error
	}
	ch := make(chan result, 1)
	go func() {
		db, err := hurrah.Open(dir, &hurrah.Options{SegmentSize: hurrah.MinSegmentSize})
		ch <- result{db, err}
	}()
	select {
	case r := <-ch:
		return r.db, r.err
	case <-time.After(bound):
	}
	if f, err := os.OpenFile(stray, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		f.Close()
	}
	select {
	case r := <-ch:
		if r.db != nil {
			r.db.Close()
		}
		t.Fatalf("%s: Open did not return within %v (it did once the FIFO was opened for writing)", where, bound)
	case <-time.After(bound):
		t.Fatalf("%s: Open did not return within %v, nor after the stray was released", where, 2*bound)
	}
	return nil, nil
}

// exportImage writes the store directory of img to a new directory on the
// real file system and returns its path.
func exportImage(t *testing.T, img *vfs.Mem) string {
	t.Helper()
	dir := newDir(t)
	require.NoError(t, os.Mkdir(dir, 0o755))
	names, err := img.List(harnessDir)
	if errors.Is(err, os.ErrNotExist) {
		return dir // the power went before the store made its directory
	}
	require.NoError(t, err)
	for _, name := range names {
		b, err := img.ReadFile(filepath.Join(harnessDir, name))
		require.NoError(t, err, name)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

// memSegments returns the LSNs of the segments in img's store directory,
// oldest first.
func memSegments(t *testing.T, img *vfs.Mem) []uint64 {
	t.Helper()
	names, err := img.List(harnessDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var segs []uint64
	for _, name := range names {
		digits, ok := strings.CutSuffix(name, ".wal")
		if !ok || len(digits) != 20 {
			continue
		}
		lsn, err := strconv.ParseUint(digits, 10, 64)
		require.NoError(t, err, name)
		segs = append(segs, lsn)
	}
	slices.Sort(segs)
	return segs
}
