package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/journal"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// runT runs the command line args and returns its exit status and output.
func runT(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

// storeOpts spreads a store over several segments, one fsynced frame per
// record.
var storeOpts = hurrah.Options{Durability: hurrah.Synced, SegmentSize: hurrah.MinSegmentSize}

// newStore writes n records to a fresh store and returns its directory and
// segments.
func newStore(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	for i := range n {
		require.NoError(t, hurrah.Set(t.Context(), db, "k"+strconv.Itoa(i), strings.Repeat("v", 200)))
	}
	require.NoError(t, db.Close())
	segs, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	require.NoError(t, err)
	slices.Sort(segs)
	require.GreaterOrEqual(t, len(segs), 3, "the test needs several segments")
	return dir, segs
}

// damage flips a bit in the payload of the middle frame of seg and returns
// the frame's offset and LSN.
func damage(t *testing.T, seg string) (int64, uint64) {
	t.Helper()
	b, err := os.ReadFile(seg)
	require.NoError(t, err)
	var offs []int
	var lsns []uint64
	for off := journal.HeaderSize; off < len(b); {
		f, n, err := journal.DecodeFrame(b[off:])
		require.NoError(t, err)
		offs, lsns = append(offs, off), append(lsns, f.FirstLSN)
		off += n
	}
	i := len(offs) / 2
	b[offs[i]+journal.FrameHeaderSize+1] ^= 0x20
	require.NoError(t, os.WriteFile(seg, b, 0o644))
	return int64(offs[i]), lsns[i]
}

// image returns every file in dir with its contents.
func image(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	img := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		img[e.Name()] = b
	}
	return img
}

func TestRepairCommandCheckSound(t *testing.T) {
	dir, segs := newStore(t, 60)
	before := image(t, dir)
	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Empty(t, errOut)
	for _, want := range []string{
		"segments:   " + strconv.Itoa(len(segs)) + "\n",
		"records:    60\n",
		"last LSN:   60\n",
		"torn tail:  none\n",
		"corruption: none\n",
		"status:     sound\n",
	} {
		require.Contains(t, out, want)
	}
	require.Equal(t, before, image(t, dir))

	// repair on a sound store changes nothing.
	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "nothing to repair")
	require.Equal(t, before, image(t, dir))
}

func TestRepairCommandCheckTornTail(t *testing.T) {
	dir, segs := newStore(t, 60)
	last := segs[len(segs)-1]
	f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("torn"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	status, out, errOut := runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, "torn tail:  "+last)
	require.Contains(t, out, "4 bytes")
	require.Contains(t, out, "status:     sound\n")
}

func TestRepairCommandCheckAndRepair(t *testing.T) {
	dir, segs := newStore(t, 60)
	k := len(segs) / 2
	x, lsn := damage(t, segs[k])
	before := image(t, dir)

	status, out, errOut := runT("check", dir)
	require.Equal(t, exitDamaged, status, errOut)
	require.Contains(t, out, fmt.Sprintf("corruption: %s at offset %d: ", segs[k], x))
	require.Contains(t, out, fmt.Sprintf("last LSN:   %d before the damage\n", lsn-1))
	require.Contains(t, out, fmt.Sprintf("the records after LSN %d would be lost", lsn-1))
	require.Contains(t, out, fmt.Sprintf("-> %s.%d.corrupt\n", segs[k], x))
	for _, s := range segs[k+1:] {
		require.Contains(t, out, "-> "+s+".corrupt\n")
	}
	require.Equal(t, before, image(t, dir), "check changes nothing")

	status, out, errOut = runT("repair", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("kept:       %d records in %d segments, up to LSN %d\n", lsn-1, k+1, lsn-1))
	require.Contains(t, out, fmt.Sprintf("the records after LSN %d were lost (frames up to LSN 60", lsn-1))
	require.Contains(t, out, fmt.Sprintf("-> %s.%d.corrupt\n", segs[k], x))

	status, out, errOut = runT("check", dir)
	require.Equal(t, exitOK, status, errOut)
	require.Contains(t, out, fmt.Sprintf("last LSN:   %d\n", lsn-1))

	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	keys, err := db.Keys(t.Context())
	require.NoError(t, err)
	want := map[string]bool{}
	for i := range int(lsn - 1) {
		want["k"+strconv.Itoa(i)] = true
	}
	require.ElementsMatch(t, slices.Collect(maps.Keys(want)), keys)
	require.NoError(t, db.Close())
}

func TestRepairCommandErrors(t *testing.T) {
	dir, _ := newStore(t, 60)
	db, err := hurrah.Open(dir, &storeOpts)
	require.NoError(t, err)
	defer db.Close()
	for _, cmd := range []string{"check", "repair"} {
		status, _, errOut := runT(cmd, dir)
		require.Equal(t, exitError, status)
		require.Contains(t, errOut, "the store is open")
	}
	require.NoError(t, db.Close())

	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"check"}, "usage: hurrah check DIR"},
		{[]string{"repair", dir, dir}, "usage: hurrah repair DIR"},
		{[]string{"check", "-x", dir}, "flag provided but not defined"},
		{[]string{"check", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"repair", filepath.Join(dir, "LOCK")}, "unusable directory"},
	}
	for _, tt := range tests {
		status, out, errOut := runT(tt.args...)
		require.Equal(t, exitError, status, "%q", tt.args)
		require.Empty(t, out, "%q", tt.args)
		require.Contains(t, errOut, tt.want, "%q", tt.args)
	}

	status, out, _ := runT("help")
	require.Equal(t, exitOK, status)
	require.Contains(t, out, "hurrah check DIR")
}
