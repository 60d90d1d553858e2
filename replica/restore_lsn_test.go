package replica

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/hurrahdb/hurrah"
	"github.com/stretchr/testify/require"
)

// viewBackup returns a DB backup of one key, written by View.Backup at
// the LSN given (any the caller likes).
func viewBackup(t *testing.T, lsn uint64) []byte {
	t.Helper()
	db, err := hurrah.Open(t.TempDir(), nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.SetBytes(context.Background(), "k", []byte("v")))
	v, err := db.View(context.Background())
	require.NoError(t, err)
	defer v.Close()
	var buf bytes.Buffer
	require.NoError(t, v.Backup(context.Background(), &buf, lsn))
	return buf.Bytes()
}

// Raft puts a restored backup at an index past both its log and the
// backup's LSN: a backup whose LSN leaves no room for that, and for the
// log after it, is bad input, refused with nothing changed, not an index
// that wraps to 0.
func TestRestoreRefusesLSNPastRaft(t *testing.T) {
	c := newCluster(t, 1, nil)
	l := c.leader()
	want := c.setKeys("old", 3)
	before := l.AppliedIndex()
	err := l.Restore(context.Background(), bytes.NewReader(viewBackup(t, math.MaxUint64)))
	require.ErrorIs(t, err, hurrah.ErrBadInput)
	require.Equal(t, before, l.AppliedIndex())
	require.Equal(t, want, contents(t, l))
	require.NoError(t, l.SetBytes(context.Background(), "after", []byte("x")))
	require.Greater(t, l.AppliedIndex(), before)
}
