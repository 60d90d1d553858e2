package reliability

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah"
	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestImportIOErrors fails the i-th file operation of an import (Open,
// twelve batches with segment rotations and automatic snapshots, Close),
// for every i, with EIO, once or for good, at each level. Each time:
//
//   - Import returns the error, not an *ImportError (the input is fine), or
//     succeeds whole (the fault hit only a snapshot's files, or Close);
//   - its report counts whole batches only;
//   - the process restarting on what it left finds a prefix of whole
//     batches holding every batch the report counts (at Buffered, an
//     acknowledgement alone promises nothing) and at most one more;
//   - importing the same input again with Skip set to the report's Lines
//     (at Buffered, from the start) ends with the state of a whole import.
func TestImportIOErrors(t *testing.T) {
	var mu sync.Mutex
	var points, failed int
	for _, level := range []hurrah.Durability{hurrah.Synced, hurrah.Written, hurrah.Buffered} {
		for _, lasting := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/lasting=%v", level, lasting), func(t *testing.T) {
				t.Parallel()
				input, states := importInput(t, uint64(level)+20)
				ops := countImportOps(t, input, level)
				for i := 1; i <= ops; i++ {
					where := fmt.Sprintf("%v, file operation %d failed (lasting %v)", level, i, lasting)
					f := importWithFault(t, input, level, i, lasting, where)
					if f.openFailed {
						continue
					}
					// At Buffered an acknowledged batch may be lost with a
					// failed write: Skip is safe only from what was written.
					lo, skip := f.rep.Lines/importBatch, f.rep.Lines
					if level == hurrah.Buffered {
						lo, skip = 0, 0
					}
					where += ", " + f.cut
					requireBatches(t, states, f.fs, lo, f.rep.Lines/importBatch+1, "a restart after "+where)
					db, err := hurrah.Open(harnessDir, smallSegments(f.fs))
					require.NoError(t, err, where)
					_, err = db.Import(context.Background(), strings.NewReader(input), &hurrah.ImportOptions{BatchSize: importBatch, Skip: skip})
					require.NoError(t, err, "resuming after %s", where)
					require.Equal(t, states[len(states)-1], storeContents(t, db), "resumed after %s", where)
					require.NoError(t, db.Close())
					mu.Lock()
					points++
					if f.err != nil {
						failed++
					}
					mu.Unlock()
				}
			})
		}
	}
	t.Cleanup(func() {
		if !t.Failed() {
			require.Positive(t, failed, "no fault reached Import: the test lost its teeth")
			t.Logf("figure: import I/O errors: %d faults (3 levels x once or lasting), %d of them failed the import; every report counted whole batches, every restart held them, every resume completed the import", points, failed)
		}
	})
}

// importFault is how an import with one failed file operation ended.
type importFault struct {
	fs         *vfs.Mem // what the process left, page cache and all
	rep        hurrah.ImportReport
	err        error // Import's
	openFailed bool  // the fault hit Open, which returned it
	cut        string
}

// importWithFault opens a store at level on a fresh in-memory file
// system, with file operation at failing with EIO (and every later one if
// lasting), imports input and closes the store, and checks what Import
// returned.
func importWithFault(t *testing.T, input string, level hurrah.Durability, at int, lasting bool, where string) importFault {
	t.Helper()
	f := importFault{fs: vfs.NewMem()}
	in := &vfs.Injector{At: at, Lasting: lasting}
	db, err := hurrah.Open(harnessDir, withFS(&hurrah.Options{
		Durability: level, SegmentSize: hurrah.MinSegmentSize, SnapshotThreshold: 3 << 10,
	}, &vfs.Faulty{FS: f.fs, Inject: in.Inject}))
	if err != nil {
		require.ErrorIs(t, err, vfs.EIO, where)
		f.openFailed = true
		return f
	}
	f.rep, f.err = db.Import(context.Background(), strings.NewReader(input), &hurrah.ImportOptions{BatchSize: importBatch})
	db.Close() // it may fail too
	f.cut = in.Failed()
	var ie *hurrah.ImportError
	require.False(t, errors.As(f.err, &ie), "an I/O error is not the input's fault: %v (%s)", f.err, where)
	if f.err != nil {
		require.True(t, errors.Is(f.err, vfs.EIO) || errors.Is(f.err, hurrah.ErrReadOnly), "%v (%s)", f.err, where)
	} else {
		require.Equal(t, int64(importLines), f.rep.Lines, where)
	}
	require.Zero(t, f.rep.Lines%importBatch, "whole batches (%s)", where)
	return f
}
