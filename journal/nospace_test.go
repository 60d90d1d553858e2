package journal

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hurrahdb/hurrah/internal/vfs"
)

// TestOpenNoSpace runs Open on a full disk when recovery must save a torn
// tail aside: it fails with ErrNoSpace (the ENOSPC still wrapped), saying
// the store is intact, leaves the directory as it was, and opens with
// everything once space is freed.
func TestOpenNoSpace(t *testing.T) {
	for _, op := range []vfs.Op{vfs.OpCreate, vfs.OpWrite, vfs.OpSync} {
		t.Run(op.String(), func(t *testing.T) {
			const n = 6
			dir := writeLog(t, n, true, Options{})
			seg := segPath(dir, 1)
			f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte("half a frame"))
			require.NoError(t, err)
			require.NoError(t, f.Close())
			before := dirImage(t, dir)

			full := &vfs.Faulty{FS: vfs.OS, Inject: func(o vfs.Op, name string) error {
				if o == op && strings.HasSuffix(name, tornSuffix) {
					return &os.PathError{Op: o.String(), Path: name, Err: syscall.ENOSPC}
				}
				return nil
			}}
			_, err = tryOpen(full, dir, Options{})
			require.ErrorIs(t, err, ErrNoSpace)
			require.ErrorIs(t, err, syscall.ENOSPC)
			require.NotErrorIs(t, err, ErrCorrupt)
			require.Contains(t, err.Error(), "intact")
			require.Equal(t, before, dirImage(t, dir), "nothing changed, no partial .torn file left")

			o := open(t, vfs.OS, dir, Options{})
			requireEntries(t, 1, n, o.replayed)
			require.NotNil(t, o.rep.Torn)
			require.Equal(t, fmt.Sprintf("%s.%d.torn", seg, o.rep.Torn.Offset), o.rep.Torn.SavedAs, "no earlier attempt took the name")
		})
	}
}
