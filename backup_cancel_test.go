package hurrah

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBackupCancelBigValues checks that Backup looks at its context by
// bytes as well as by records: a backup of fewer than 4096 big values
// used to run to its end after the context was cancelled.
func TestBackupCancelBigValues(t *testing.T) {
	ctx := t.Context()
	db := openT(t, newDir(t), nil)
	for i := range 20 {
		require.NoError(t, db.SetBytes(ctx, fmt.Sprintf("k%02d", i), bytes.Repeat([]byte{'v'}, 1<<20)))
	}
	cctx, cancel := context.WithCancel(ctx)
	w := &countWriter{w: cancelWriter{cancel}}
	_, err := db.Backup(cctx, w)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, w.n, int64(10<<20), "stopped before writing half the values")
}
