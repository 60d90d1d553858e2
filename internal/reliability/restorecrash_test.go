package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/fsseam"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// Restore under power cuts and I/O errors. A Restore checks the headers of
// the backup, creates the directory and takes its lock, writes the
// snapshot to a temp file and fsyncs it, marks a System's directory, and
// renames the snapshot into place and fsyncs the directory. After a power
// cut before any of its file operations, or an I/O error at any of them,
// the directory must hold no store (Open, or OpenSystem for a System's
// backup, opens it empty, and a new Restore succeeds) or the whole restored
// store, never a part of it.

// tally is the State of the System whose backup the tests restore.
type tally struct{ N map[string]int }

// tallyCmd adds D to the count of K.
type tallyCmd struct {
	K string
	D int
}

func (c tallyCmd) Apply(s *tally) error {
	if s.N == nil {
		s.N = map[string]int{}
	}
	s.N[c.K] += c.D
	return nil
}

// restoreCase is a backup and what a store restored from it must hold.
type restoreCase struct {
	name   string
	backup []byte
	lsn    uint64
	want   map[string]string // the DB's contents, or the System's counts as strings
	system bool
}

// restoreCases backs up a DB and a System, each on an in-memory file
// system of its own.
func restoreCases(t *testing.T) []restoreCase {
	ctx := context.Background()
	db, err := hurrah.Open(harnessDir, withFS(&hurrah.Options{}, vfs.NewMem()))
	require.NoError(t, err)
	for i := range 40 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("key%02d", i), bytes.Repeat([]byte{byte(i)}, 100)))
	}
	var kv bytes.Buffer
	kvLSN, err := db.Backup(ctx, &kv)
	require.NoError(t, err)
	want := storeContents(t, db)
	require.NoError(t, db.Close())

	sys, err := hurrah.OpenSystem[tally, tallyCmd](harnessDir, nil, withFS(&hurrah.Options{}, vfs.NewMem()))
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, sys.Commit(ctx, tallyCmd{K: fmt.Sprint(i % 3), D: i}))
	}
	var st bytes.Buffer
	sysLSN, err := sys.Backup(ctx, &st)
	require.NoError(t, err)
	counts, err := hurrah.Query(ctx, sys, func(s *tally) map[string]string { return tallyStrings(s) })
	require.NoError(t, err)
	require.NoError(t, sys.Close())
	return []restoreCase{
		{name: "db", backup: kv.Bytes(), lsn: kvLSN, want: want},
		{name: "system", backup: st.Bytes(), lsn: sysLSN, want: counts, system: true},
	}
}

// tallyStrings returns the counts of s as strings, to compare as a DB's
// contents are.
func tallyStrings(s *tally) map[string]string {
	m := map[string]string{}
	for k, n := range s.N {
		m[k] = fmt.Sprint(n)
	}
	return m
}

// restoreOn runs Restore of c into harnessDir on fsys.
func restoreOn(c restoreCase, fsys vfs.FS) error {
	opts := &hurrah.RestoreOptions{}
	fsseam.SetFS(opts, fsys)
	_, err := hurrah.Restore(context.Background(), harnessDir, bytes.NewReader(c.backup), opts)
	return err
}

// openRestored opens harnessDir on fsys as c's kind of store and returns
// its contents and the LSN of the snapshot it opened from ("" and 0 if
// none).
func openRestored(t *testing.T, c restoreCase, fsys vfs.FS) (map[string]string, uint64) {
	t.Helper()
	opts := withFS(&hurrah.Options{}, fsys)
	if !c.system {
		db, err := hurrah.Open(harnessDir, opts)
		require.NoError(t, err)
		defer db.Close()
		return storeContents(t, db), db.Recovery().SnapshotLSN
	}
	sys, err := hurrah.OpenSystem[tally, tallyCmd](harnessDir, nil, opts)
	require.NoError(t, err)
	defer sys.Close()
	got, err := hurrah.Query(context.Background(), sys, func(s *tally) map[string]string { return tallyStrings(s) })
	require.NoError(t, err)
	return got, sys.Recovery().SnapshotLSN
}

// requireWholeOrNone checks what img, a disk after a failed or cut-short
// Restore of c, holds: the whole restored store, or none (an empty store
// opens, and a Restore again makes the whole one). It reports which.
func requireWholeOrNone(t *testing.T, c restoreCase, img *vfs.Mem, what string) (whole bool) {
	t.Helper()
	again := img.Crash(vfs.CrashOptions{}) // a copy: img is opened below
	got, lsn := openRestored(t, c, img)
	if len(got) > 0 {
		require.Equal(t, c.want, got, "%s: a part of the store", what)
		require.Equal(t, c.lsn, lsn, what)
		require.ErrorIs(t, restoreOn(c, again), hurrah.ErrStoreExists, what)
		return true
	}
	require.NoError(t, restoreOn(c, again), "%s: a Restore again", what)
	got, _ = openRestored(t, c, again)
	require.Equal(t, c.want, got, "%s: after a Restore again", what)
	return false
}

// countRestoreOps returns the file operations a fault-free Restore of c
// makes.
func countRestoreOps(t *testing.T, c restoreCase) int {
	var in vfs.Injector
	require.NoError(t, restoreOn(c, &vfs.Faulty{FS: vfs.NewMem(), Inject: in.Inject}))
	return in.Count()
}

// TestRestoreCrashPoints cuts the power before every file operation of a
// Restore, of a DB's backup and of a System's, in every crash mode (the
// random ones with 4 seeds each, 64 with HURRAH_LONG=1): the directory
// holds the whole store or none. Both outcomes must occur.
func TestRestoreCrashPoints(t *testing.T) {
	for _, c := range restoreCases(t) {
		t.Run(c.name, func(t *testing.T) {
			n := countRestoreOps(t, c)
			outcomes := map[bool]int{}
			for at := 1; at <= n; at++ {
				for _, mode := range crashModes {
					seeds := 1
					switch {
					case mode.random && harnessLong():
						seeds = 64
					case mode.random:
						seeds = 4 // the unsynced changes kept vary
					}
					for seed := range seeds {
						what := fmt.Sprintf("cut before operation %d of %d, %s, seed %d", at, n, mode.name, seed)
						m := vfs.NewMem()
						r := rand.New(rand.NewPCG(uint64(at), uint64(seed)))
						var img *vfs.Mem
						inj := cutPower(at, func() { img = m.Crash(mode.options(r)) })
						err := restoreOn(c, &vfs.Faulty{FS: m, Inject: inj.Inject})
						require.ErrorIs(t, err, errPowerLost, what)
						require.NotNil(t, img, what)
						outcomes[requireWholeOrNone(t, c, img, what)]++
					}
				}
			}
			require.Positive(t, outcomes[true], "cuts that left the whole store")
			require.Positive(t, outcomes[false], "cuts that left none")
		})
	}
}

// TestRestoreIOErrors fails each file operation of a Restore in turn, once
// or for good. A Restore that succeeded left the whole store; one that
// failed once left nothing but, perhaps, the empty directory; and a power
// cut right after either leaves the whole store or none.
func TestRestoreIOErrors(t *testing.T) {
	for _, c := range restoreCases(t) {
		t.Run(c.name, func(t *testing.T) {
			n := countRestoreOps(t, c)
			for at := 1; at <= n; at++ {
				for _, lasting := range []bool{false, true} {
					what := fmt.Sprintf("operation %d of %d failed, lasting %v", at, n, lasting)
					m := vfs.NewMem()
					in := &vfs.Injector{At: at, Lasting: lasting}
					err := restoreOn(c, &vfs.Faulty{FS: m, Inject: in.Inject})
					requireWholeOrNone(t, c, m.Crash(vfs.CrashOptions{}), what+", then a power cut")
					switch {
					case err == nil:
						got, _ := openRestored(t, c, m)
						require.Equal(t, c.want, got, what)
					case !lasting:
						require.ErrorIs(t, err, vfs.ErrInjected, what)
						names, lerr := m.List(harnessDir)
						if !errors.Is(lerr, fs.ErrNotExist) {
							require.NoError(t, lerr)
							require.Empty(t, names, "%s: left behind", what)
						}
					}
				}
			}
		})
	}
}
