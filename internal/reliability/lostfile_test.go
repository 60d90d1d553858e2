package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestLostFiles runs a workload to a clean close, and then deletes one of
// the store's files at a time, each segment and each snapshot in turn, as
// an operator's mistake or a bad copy would. Open must then either restore
// every write (the file held nothing that another does not) or refuse with
// ErrCorrupt; it must never open without some of the data. Only a clean
// close is tried: after a crash, the newest segment can still be lost
// unseen (see README, On disk).
func TestLostFiles(t *testing.T) {
	lost, refused := 0, 0
	for i, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written, hurrah.Written} {
		p := crashPlan(level, uint64(level)+40, 60)
		if i == 2 {
			p = newPlan(43, 400) // no snapshots: the journal holds it all
		}
		m := vfs.NewMem()
		r := runPlan(p, m, level, &progress{})
		require.NoError(t, r.err, r.call)
		img := m.Crash(vfs.CrashOptions{})
		n := int64(len(p.ops))
		names, err := img.List(harnessDir)
		require.NoError(t, err)
		for _, name := range names {
			if !strings.HasSuffix(name, ".wal") && !strings.HasSuffix(name, ".hsnap") {
				continue
			}
			where := fmt.Sprintf("%v, closed cleanly, %s deleted", level, name)
			dir := exportImage(t, img)
			require.NoError(t, os.Remove(filepath.Join(dir, name)), where)
			lost++
			db, err := hurrah.Open(dir, nil)
			if err != nil {
				require.ErrorIs(t, err, hurrah.ErrCorrupt, where)
				refused++
				continue
			}
			requireMatch(t, p, storeContents(t, db), n, n, where)
			require.NoError(t, db.Close(), where)
		}
	}
	require.Positive(t, refused, "no deletion was refused: the test lost its teeth")
	t.Logf("figure: lost whole files after a clean close: %d deletions, %d refused with ErrCorrupt, the rest restored every write; 0 opened without data", lost, refused)
}
